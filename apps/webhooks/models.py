"""An institution's webhook endpoints and every delivery made to them (with each attempt's response)."""
import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.common.models import TimeStampedModel


class Event(models.TextChoices):
    OFFER_CREATED = "offer.created", _("新派单")
    OFFER_EXPIRING = "offer.expiring", _("派单即将超时")
    OFFER_WITHDRAWN = "offer.withdrawn", _("派单已撤回")
    OFFER_LAPSED = "offer.lapsed", _("派单已超时")
    CLIENT_CHOSE = "client.chose", _("客户已选择机构")
    CASE_CHANGED = "case.changed", _("案件状态变化")
    SETTLEMENT_CHANGED = "settlement.changed", _("结算状态变化")


class Endpoint(TimeStampedModel):
    institution = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="webhook_endpoints",
                                    verbose_name=_("机构"))
    url = models.URLField(_("推送地址"), max_length=500)
    description = models.CharField(_("说明"), max_length=100, blank=True)
    events = models.JSONField(_("订阅事件"), default=list)
    secret = models.CharField(_("签名密钥"), max_length=80, editable=False)
    is_active = models.BooleanField(_("启用"), default=True)
    disabled_reason = models.CharField(_("停用原因"), max_length=200, blank=True)
    failure_streak = models.PositiveIntegerField(_("连续失败次数"), default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("Webhook 端点")
        verbose_name_plural = _("Webhook 端点")
        ordering = ["-id"]
        permissions = [("manage_webhook", _("管理回调推送"))]
        indexes = [models.Index(fields=["institution", "is_active"])]

    def __str__(self) -> str:
        return self.url

    @property
    def event_labels(self) -> list[str]:
        labels = dict(Event.choices)
        return [str(labels.get(e, e)) for e in self.events]


class Delivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("待发送")
        SENDING = "sending", _("发送中")
        RETRYING = "retrying", _("等待重试")
        SUCCEEDED = "succeeded", _("成功")
        FAILED = "failed", _("失败")

    TONES = {"pending": "secondary", "sending": "info", "retrying": "warning", "succeeded": "success",
             "failed": "danger"}

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(_("事件"), max_length=40, choices=Event.choices)
    event_id = models.UUIDField(_("事件编号"), default=uuid.uuid4)
    payload = models.JSONField(default=dict)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试"), null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("最近尝试"), null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(_("响应状态码"), null=True, blank=True)
    replay_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("创建时间"))

    class Meta:
        verbose_name = _("Webhook 推送记录")
        verbose_name_plural = _("Webhook 推送记录")
        ordering = ["-id"]
        indexes = [models.Index(fields=["endpoint", "-id"]),
                   models.Index(fields=["next_attempt_at"], name="webhook_delivery_due",
                                condition=models.Q(status__in=["pending", "retrying", "sending"]))]

    @property
    def tone(self) -> str:
        return self.TONES.get(self.status, "secondary")


class Attempt(models.Model):
    """One HTTP request of a delivery and what came back."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    at = models.DateTimeField(_("时间"))
    status_code = models.PositiveSmallIntegerField(_("响应状态码"), null=True, blank=True)
    response_body = models.TextField(_("响应内容"), blank=True)
    error = models.CharField(_("错误"), max_length=300, blank=True)
    duration_ms = models.PositiveIntegerField(_("耗时（毫秒）"), default=0)

    class Meta:
        ordering = ["id"]


class Emitted(models.Model):
    """Events that must go out once per object (``offer.expiring``): the unique row says it went."""

    key = models.CharField(max_length=100, unique=True)
    at = models.DateTimeField(auto_now_add=True)
