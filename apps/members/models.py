"""Clients (会员) registered by customer managers, with real-name verification, consent records and a
log of every full view of their personal data."""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from apps.accounts.models import mobile_validator
from apps.common.identity import CODE, DIGITS
from apps.common.models import TimeStampedModel


class ClientType(models.TextChoices):
    INDIVIDUAL = "individual", _("个人")
    ENTERPRISE_OWNER = "enterprise_owner", _("企业主")
    SELF_EMPLOYED = "self_employed", _("个体工商户")
    SALARIED = "salaried", _("工薪族")


class Member(TimeStampedModel):
    class Status(models.TextChoices):
        PENDING = "pending", _("待认证")
        VERIFIED = "verified", _("已认证")
        REJECTED = "rejected", _("认证未通过")

    real_name = models.CharField(_("姓名"), max_length=50)
    id_number = models.CharField(_("身份证号"), max_length=18, unique=True)
    mobile = models.CharField(_("手机号"), max_length=11, validators=[mobile_validator], db_index=True)
    address = models.CharField(_("联系地址"), max_length=200)
    client_type = models.CharField(_("客户类型"), max_length=20, choices=ClientType.choices)
    birth_date = models.DateField(_("出生日期"))
    id_photo_front = models.CharField(_("身份证人像面"), max_length=200)
    id_photo_back = models.CharField(_("身份证国徽面"), max_length=200)
    birthplace_known = models.BooleanField(_("出生地代码可识别"), default=True)
    status = FSMField(_("认证状态"), default=Status.PENDING, choices=Status.choices)
    reject_reason = models.CharField(_("未通过原因"), max_length=200, blank=True)
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    verified_at = models.DateTimeField(_("认证时间"), null=True, blank=True)
    verified_via = models.CharField(_("认证方式"), max_length=20, blank=True)
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                      verbose_name=_("登记人"))
    organization = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("所属部门"))
    identity_conflict = models.BooleanField(
        _("身份证号待核对"), default=False, editable=False,
        help_text=_("旧数据规范化后与另一会员的身份证号相同（如全角数字重复登记），保留原值待管理员核对"))

    class Meta:
        verbose_name = _("会员")
        verbose_name_plural = _("会员")
        ordering = ["-id"]
        # Stored identifiers are ASCII (apps.common.identity); rows flagged by the normalising migration are
        # the only exception, until an administrator resolves them.
        constraints = [
            models.CheckConstraint(condition=models.Q(id_number__regex=CODE) | models.Q(identity_conflict=True),
                                   name="member_id_number_ascii"),
            models.CheckConstraint(condition=models.Q(mobile__regex=DIGITS) | models.Q(identity_conflict=True),
                                   name="member_mobile_ascii"),
        ]
        permissions = [
            ("verify_member", _("会员实名认证审核")),
            ("view_member_pii", _("查看会员完整身份信息")),
        ]

    def __str__(self) -> str:
        return self.real_name

    @transition(field=status, source=[Status.PENDING, Status.REJECTED], target=Status.VERIFIED)
    def verify(self):
        pass

    @transition(field=status, source=Status.PENDING, target=Status.REJECTED)
    def reject(self, reason: str):
        self.reject_reason = reason


class Consent(models.Model):
    """The client's consent to share personal data with the institutions that will receive an
    application: what, when, recorded by whom."""

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="consents")
    scope = models.CharField(_("授权内容"), max_length=300)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("授权时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("信息授权")
        verbose_name_plural = _("信息授权")
        ordering = ["-id"]


class PiiAccess(models.Model):
    """Every time someone is shown a member's full ID number or mobile."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="pii_accesses")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    fields = models.CharField(max_length=100)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
