"""The institution's work on a case the client chose it for (机构后台 五.业务管理): allocation to an officer or
a sub-institution (贷款分配), review (贷款审核), the face-to-face signing (面签), then disbursement (放款) or
"cannot lend" (能否操作：否)."""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from apps.common.models import TimeStampedModel
from apps.common.money import MoneyField


class Case(TimeStampedModel):
    class Status(models.TextChoices):
        NEW = "new", _("待分配")
        ALLOCATED = "allocated", _("已分配")
        REVIEWING = "reviewing", _("机构审核")
        SIGNING = "signing", _("待面签")
        SIGNED = "signed", _("已面签")
        DISBURSED = "disbursed", _("已放款")
        CANNOT_LEND = "cannot_lend", _("无法操作")

    OPEN = [Status.NEW, Status.ALLOCATED, Status.REVIEWING, Status.SIGNING, Status.SIGNED]
    TONES = {"new": "warning", "allocated": "info", "reviewing": "info", "signing": "primary", "signed": "primary",
             "disbursed": "success", "cannot_lend": "secondary"}

    application = models.ForeignKey("applications.Application", on_delete=models.PROTECT, related_name="cases",
                                    verbose_name=_("贷款申请"))
    candidate = models.OneToOneField("dispatch.Candidate", on_delete=models.PROTECT, related_name="case")
    institution = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("机构"))
    unit = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("承办机构"), help_text=_("分配到的机构或下级机构（数据范围按此判断）"))
    officer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+", verbose_name=_("业务员"))
    status = FSMField(_("状态"), default=Status.NEW, choices=Status.choices)
    review_note = models.CharField(_("审核意见"), max_length=300, blank=True)
    signing_at = models.DateTimeField(_("面签时间"), null=True, blank=True)
    signing_place = models.CharField(_("面签地点"), max_length=200, blank=True)
    signing_note = models.CharField(_("面签结果"), max_length=300, blank=True)
    signed_at = models.DateTimeField(_("完成面签时间"), null=True, blank=True)
    disbursed_amount = MoneyField(_("放款金额"), null=True, blank=True)
    disbursed_on = models.DateField(_("放款日期"), null=True, blank=True)
    contract_no = models.CharField(_("合同编号"), max_length=50, blank=True)
    term_months = models.PositiveSmallIntegerField(_("贷款期限（月）"), null=True, blank=True)
    annual_rate = models.DecimalField(_("年利率（%）"), max_digits=6, decimal_places=3, null=True, blank=True)
    disbursed_recorded_at = models.DateTimeField(null=True, blank=True)
    cannot_lend_reason = models.CharField(_("无法操作原因"), max_length=300, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("机构案件")
        verbose_name_plural = _("机构案件")
        ordering = ["-id"]
        indexes = [models.Index(fields=["institution", "status", "-id"]), models.Index(fields=["unit", "-id"]),
                   models.Index(fields=["officer", "-id"])]
        constraints = [
            models.UniqueConstraint(fields=["application"], condition=Q(status__in=["new", "allocated", "reviewing",
                                                                                    "signing", "signed"]),
                                    name="one_open_case_per_application"),
            models.CheckConstraint(condition=Q(disbursed_amount__isnull=True) | Q(disbursed_amount__gt=0),
                                   name="case_disbursed_positive"),
        ]
        permissions = [
            ("allocate_case", _("贷款分配")),
            ("handle_case", _("办理案件（审核、面签、放款）")),
        ]

    def __str__(self) -> str:
        return f"{self.application_id}@{self.institution_id}"

    @property
    def tone(self) -> str:
        return self.TONES.get(self.status, "primary")

    @transition(field=status, source=[Status.NEW, Status.ALLOCATED, Status.REVIEWING], target=Status.ALLOCATED)
    def allocate(self):
        pass

    @transition(field=status, source=Status.ALLOCATED, target=Status.REVIEWING)
    def start_review(self):
        pass

    @transition(field=status, source=[Status.REVIEWING, Status.SIGNING], target=Status.SIGNING)
    def book_signing(self):
        pass

    @transition(field=status, source=Status.SIGNING, target=Status.SIGNED)
    def sign(self):
        pass

    @transition(field=status, source=Status.SIGNED, target=Status.DISBURSED)
    def disburse(self):
        pass

    @transition(field=status, source=OPEN, target=Status.CANNOT_LEND)
    def cannot_lend(self):
        pass


class CaseLog(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="log")
    at = models.DateTimeField(_("时间"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    text = models.CharField(_("说明"), max_length=300, blank=True)

    class Meta:
        ordering = ["id"]
