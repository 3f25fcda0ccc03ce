from django.conf import settings
from django.db import models
from django.utils.encoding import force_str
from django.utils.hashable import make_hashable
from django.utils.translation import get_language, gettext_lazy as _

_choice_labels: dict = {}  # (field, language) -> {value: label}


def choice_label(field, value):
    """The label of ``value`` among ``field``'s choices in the active language, as Django's ``get_FOO_display``
    gives it, from a table built once per field and language (Django translates every choice of the field on
    every call: a 50-row list of statuses made a thousand gettext calls)."""
    key = (field, get_language())
    labels = _choice_labels.get(key)
    if labels is None:
        labels = _choice_labels[key] = {make_hashable(k): force_str(v) for k, v in field.flatchoices}
    return force_str(labels.get(make_hashable(value), value), strings_only=True)


def _display(instance, field):
    return choice_label(field, getattr(instance, field.attname))


def install_choice_labels(models_) -> int:
    """Point every Django-generated ``get_FOO_display`` of ``models_`` at ``choice_label`` (same result, no
    per-call translation). A method a model defines itself is left alone. Returns how many were replaced."""
    from functools import partialmethod

    replaced = 0
    for model in models_:
        for field in model._meta.concrete_fields:
            name = f"get_{field.name}_display"
            if field.choices and isinstance(model.__dict__.get(name), partialmethod):
                setattr(model, name, partialmethod(_display, field=field))
                replaced += 1
    return replaced


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        abstract = True


class OperationLog(models.Model):
    """One row per state-changing request (who, what, when, from where, result).

    Written by ``OperationLogMiddleware``; never edited."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    username = models.CharField(_("账号"), max_length=150, blank=True)
    organization_id = models.BigIntegerField(_("机构ID"), null=True, blank=True, db_index=True)
    area = models.CharField(_("区域"), max_length=16, blank=True)
    method = models.CharField(_("方法"), max_length=8)
    path = models.CharField(_("路径"), max_length=500)
    view_name = models.CharField(_("操作"), max_length=200, blank=True)
    status_code = models.PositiveSmallIntegerField(_("结果码"))
    ip = models.GenericIPAddressField(_("IP"), null=True, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    # In plain Chinese (apps/common/oplog.py), decided when the row is written.
    module = models.CharField(_("系统模块"), max_length=40, blank=True)
    action = models.CharField(_("操作类型"), max_length=20, blank=True)
    target = models.CharField(_("操作对象"), max_length=200, blank=True)
    success = models.BooleanField(_("结果"), default=True)

    class Meta:
        verbose_name = _("操作日志")
        verbose_name_plural = _("操作日志")
        ordering = ["-id"]
        indexes = [models.Index(fields=["user", "-created_at"])]


class Heartbeat(models.Model):
    """Last time a periodic job ran: proof on the admin dashboard that beat and the worker live.

    Every beat task's run is recorded under its schedule name by ``apps.common.beat_health`` (one UPDATE per run):
    when it finished, whether it succeeded, the error if not, and how long it took."""

    name = models.CharField(max_length=100, unique=True)
    last_seen_at = models.DateTimeField()
    count = models.PositiveBigIntegerField(default=0)
    last_ok = models.BooleanField(_("最近结果成功"), null=True)
    last_error = models.CharField(_("最近错误"), max_length=300, blank=True)
    last_duration_ms = models.PositiveIntegerField(_("最近耗时（毫秒）"), null=True)

    class Meta:
        verbose_name = _("定时任务心跳")
        verbose_name_plural = _("定时任务心跳")


class SystemParameter(models.Model):
    """The current value of a declared system parameter (see apps/common/params.py)."""

    key = models.CharField(_("参数键"), max_length=100, unique=True)
    value = models.CharField(_("参数值"), max_length=500)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        verbose_name = _("系统参数")
        verbose_name_plural = _("系统参数")
        permissions = [("change_parameters", _("修改系统参数"))]


class SystemParameterChange(models.Model):
    key = models.CharField(_("参数键"), max_length=100, db_index=True)
    old_value = models.CharField(_("原值"), max_length=500)
    new_value = models.CharField(_("新值"), max_length=500)
    reason = models.CharField(_("修改原因"), max_length=200, blank=True)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    changed_at = models.DateTimeField(_("修改时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("参数修改记录")
        verbose_name_plural = _("参数修改记录")
        ordering = ["-id"]
