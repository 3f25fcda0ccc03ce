"""Settlement (结算流程): after disbursement 跟单员 confirms the amount with the institution and the CM confirms
with the client; the commission is computed from the terms that applied and 跟单员 confirms it (佣金金额确认; a
change needs a second person's approval); the statement (commission + client service fee) is issued; the
institution pays (from its cash account through the ledger, or by bank transfer with a voucher); 结算员 confirms
receipt; 跟单员 confirms and the hold is released (恢复头寸); both sides rate each other; the application is
complete."""
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateRangeField, RangeBoundary, RangeOperators
from django.db import models
from django.db.models import F, Func, Q
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from apps.common.models import TimeStampedModel
from apps.common.money import MoneyField


class DateRange(Func):
    function = "DATERANGE"
    output_field = DateRangeField()


class Agreement(TimeStampedModel):
    """An institution's commission terms for one product over a period, overriding the product's defaults: a
    rate on the disbursed amount or a fixed sum per case, with a minimum, and the client service fee.

    A version's terms are never edited: new terms are a new version from a date (the open-ended version before it
    is ended the day before), so every statement keeps pointing at the terms it applied. The periods of one
    institution and product never overlap (an exclusion constraint, ``[valid_from, valid_to]`` inclusive; an empty
    ``valid_to`` is open-ended)."""

    institution = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("机构"))
    product = models.ForeignKey("products.Product", on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("产品"))
    rate = models.DecimalField(_("佣金费率"), max_digits=6, decimal_places=4, null=True, blank=True,
                               validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))])
    fixed_amount = MoneyField(_("固定佣金"), null=True, blank=True)
    minimum = MoneyField(_("最低佣金"), default=Decimal("0.00"))
    service_fee = MoneyField(_("客户服务费"), null=True, blank=True)
    valid_from = models.DateField(_("生效日期"))
    valid_to = models.DateField(_("失效日期"), null=True, blank=True)
    note = models.CharField(_("协议说明"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("录入人"))

    class Meta:
        verbose_name = _("佣金协议")
        verbose_name_plural = _("佣金协议")
        ordering = ["institution_id", "product_id", "-valid_from"]
        constraints = [
            models.CheckConstraint(condition=Q(rate__isnull=False) | Q(fixed_amount__isnull=False),
                                   name="agreement_has_basis"),
            models.CheckConstraint(condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")),
                                   name="agreement_period_order"),
            ExclusionConstraint(
                name="agreement_no_overlap",
                expressions=[(F("institution"), RangeOperators.EQUAL), (F("product"), RangeOperators.EQUAL),
                             (DateRange("valid_from", "valid_to", RangeBoundary(inclusive_upper=True)),
                              RangeOperators.OVERLAPS)]),
        ]

    def __str__(self) -> str:
        return f"XY{self.pk:06d}"

    @property
    def number(self) -> str:
        return str(self)

    def covers(self, day) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


class AgreementLog(models.Model):
    """The history of the commission agreements: who added or ended which version, when, and why."""

    institution = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+")
    agreement = models.ForeignKey(Agreement, on_delete=models.PROTECT, related_name="log")
    at = models.DateTimeField(_("时间"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    text = models.CharField(_("说明"), max_length=300)

    class Meta:
        ordering = ["-id"]


class Settlement(TimeStampedModel):
    class Status(models.TextChoices):
        CONFIRMING = "confirming", _("金额确认")
        COMMISSION = "commission", _("佣金确认")
        STATEMENT = "statement", _("已出账单")
        PAID = "paid", _("已付款待确认")
        CONFIRMED = "confirmed", _("结算员已确认")
        RELEASED = "released", _("已恢复头寸")

    class Method(models.TextChoices):
        LEDGER = "ledger", _("现金账户支付")
        OFFLINE = "offline", _("线下转账")

    TONES = {"confirming": "warning", "commission": "warning", "statement": "primary", "paid": "info",
             "confirmed": "info", "released": "success"}

    case = models.OneToOneField("cases.Case", on_delete=models.PROTECT, related_name="settlement")
    application = models.ForeignKey("applications.Application", on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("贷款申请"))
    institution = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("机构"))
    status = FSMField(_("状态"), default=Status.CONFIRMING, choices=Status.choices, db_index=True)
    disbursed_amount = MoneyField(_("机构录入放款金额"))
    confirmed_amount = MoneyField(_("跟单确认放款金额"), null=True, blank=True)
    amount_note = models.CharField(_("金额说明"), max_length=300, blank=True)
    of_confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                        related_name="+")
    of_confirmed_at = models.DateTimeField(null=True, blank=True)
    cm_confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                        related_name="+")
    cm_confirmed_at = models.DateTimeField(_("客户确认到账时间"), null=True, blank=True)
    # the terms applied (a snapshot, and the agreement version when one applied; none: the product's defaults)
    agreement = models.ForeignKey(Agreement, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("适用佣金协议"))
    basis = models.CharField(_("计费方式"), max_length=10, blank=True)  # rate | fixed
    rate = models.DecimalField(_("佣金费率"), max_digits=6, decimal_places=4, null=True, blank=True)
    fixed_amount = MoneyField(_("固定佣金"), null=True, blank=True)
    minimum = MoneyField(_("最低佣金"), null=True, blank=True)
    terms_on = models.DateField(_("条款适用日期"), null=True, blank=True)
    # the figures computed from the terms, and the ones confirmed (equal unless an approved adjustment changed them)
    computed_commission = MoneyField(_("按条款计算的机构佣金"), null=True, blank=True)
    computed_service_fee = MoneyField(_("按条款计算的客户服务费"), null=True, blank=True)
    commission_confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                                on_delete=models.PROTECT, related_name="+")
    commission_confirmed_at = models.DateTimeField(_("佣金确认时间"), null=True, blank=True)
    # the statement (账单)
    commission = MoneyField(_("机构佣金"), null=True, blank=True)
    service_fee = MoneyField(_("客户服务费"), null=True, blank=True)
    total = MoneyField(_("应付合计"), null=True, blank=True)
    statement_at = models.DateTimeField(_("出账时间"), null=True, blank=True)
    due_date = models.DateField(_("付款期限"), null=True, blank=True, db_index=True)
    # payment
    method = models.CharField(_("付款方式"), max_length=10, choices=Method.choices, blank=True)
    paid_at = models.DateTimeField(_("付款时间"), null=True, blank=True)
    paid_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    payment_entry = models.ForeignKey("positions.JournalEntry", null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="+")
    bank_reference = models.CharField(_("银行流水号"), max_length=64, blank=True)
    voucher = models.CharField(_("付款凭证"), max_length=200, blank=True)
    receipt_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    receipt_at = models.DateTimeField(_("确认收款时间"), null=True, blank=True)
    reject_reason = models.CharField(_("退回原因"), max_length=300, blank=True)
    released_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    released_at = models.DateTimeField(_("恢复头寸时间"), null=True, blank=True)
    rating_deadline = models.DateTimeField(_("互评截止"), null=True, blank=True)
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    reminder_level = models.PositiveSmallIntegerField(_("逾期提醒级别"), default=0)

    class Meta:
        verbose_name = _("结算单")
        verbose_name_plural = _("结算单")
        ordering = ["-id"]
        indexes = [models.Index(fields=["institution", "status", "-id"]),
                   models.Index(fields=["due_date"], condition=Q(status="statement"), name="settlement_due")]
        constraints = [
            models.CheckConstraint(condition=Q(total__isnull=True) | Q(total__gte=0), name="settlement_total_nonneg"),
            models.CheckConstraint(condition=Q(bank_reference__regex=r"^[ -~]*$"),
                                   name="settlement_bank_reference_ascii"),
        ]
        permissions = [
            ("confirm_amount", _("跟单员确认放款金额")),
            ("confirm_commission", _("跟单员确认佣金金额（或提出调整）")),
            ("approve_commission", _("复核佣金调整")),
            ("follow_up", _("跟单员联系（逾期未付）")),
            ("release_hold", _("跟单员确认结算完成（恢复头寸）")),
            ("confirm_client", _("客户经理确认客户到账")),
            ("pay_settlement", _("机构支付佣金")),
            ("confirm_receipt", _("结算员确认收款")),
            ("rate_platform", _("机构评价数银")),
            ("rate_institution", _("数银评价机构")),
            ("view_all_settlements", _("查看全部结算单")),
        ]

    def __str__(self) -> str:
        return f"JS{self.pk:08d}"

    @property
    def number(self) -> str:
        return str(self)

    @property
    def tone(self) -> str:
        return self.TONES.get(self.status, "primary")

    @transition(field=status, source=Status.CONFIRMING, target=Status.COMMISSION)
    def compute(self):
        pass

    @transition(field=status, source=Status.COMMISSION, target=Status.STATEMENT)
    def issue(self):
        pass

    @transition(field=status, source=Status.STATEMENT, target=Status.PAID)
    def pay(self):
        pass

    @transition(field=status, source=Status.PAID, target=Status.STATEMENT)
    def reject_payment(self):
        pass

    @transition(field=status, source=Status.PAID, target=Status.CONFIRMED)
    def confirm_receipt(self):
        pass

    @transition(field=status, source=Status.CONFIRMED, target=Status.RELEASED)
    def release(self):
        pass


class SettlementLog(models.Model):
    settlement = models.ForeignKey(Settlement, on_delete=models.CASCADE, related_name="log")
    at = models.DateTimeField(_("时间"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    text = models.CharField(_("说明"), max_length=300)

    class Meta:
        ordering = ["id"]


class CommissionAdjustment(models.Model):
    """佣金金额确认 with a change: the 跟单员 proposes other figures with a reason, a second person approves or
    rejects it (four eyes: never the proposer). Both are kept; the statement names them."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待复核")
        APPROVED = "approved", _("已通过")
        REJECTED = "rejected", _("已驳回")

    settlement = models.ForeignKey(Settlement, on_delete=models.CASCADE, related_name="adjustments")
    commission = MoneyField(_("调整后机构佣金"))
    service_fee = MoneyField(_("调整后客户服务费"))
    reason = models.CharField(_("调整原因"), max_length=300)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("调整人"))
    proposed_at = models.DateTimeField(_("提出时间"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("复核人"))
    decided_at = models.DateTimeField(_("复核时间"), null=True, blank=True)
    decision_note = models.CharField(_("复核意见"), max_length=300, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["settlement"], condition=Q(status="pending"),
                                    name="one_pending_adjustment"),
            models.CheckConstraint(condition=Q(commission__gte=0, service_fee__gte=0), name="adjustment_nonneg"),
            models.CheckConstraint(condition=Q(decided_by__isnull=True) | ~Q(decided_by=F("proposed_by")),
                                   name="adjustment_four_eyes"),
        ]


class FollowUp(models.Model):
    """跟单员联系: a task for the order follower when an institution has not paid by the due date."""

    settlement = models.ForeignKey(Settlement, on_delete=models.CASCADE, related_name="follow_ups")
    level = models.PositiveSmallIntegerField(_("级别"))
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("跟单员"))
    created_at = models.DateTimeField(_("创建时间"))
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    note = models.CharField(_("联系记录"), max_length=300, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["settlement", "level"], name="follow_up_once_per_level")]


class Rating(models.Model):
    class Side(models.TextChoices):
        INSTITUTION = "institution", _("机构评价数银")
        PLATFORM = "platform", _("数银评价机构")

    settlement = models.ForeignKey(Settlement, on_delete=models.CASCADE, related_name="ratings")
    side = models.CharField(_("评价方"), max_length=12, choices=Side.choices)
    stars = models.PositiveSmallIntegerField(_("星级"), validators=[MinValueValidator(1), MaxValueValidator(5)])
    comment = models.CharField(_("评价内容"), max_length=300, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("评价时间"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["settlement", "side"], name="rating_once_per_side"),
            models.CheckConstraint(condition=Q(stars__gte=1, stars__lte=5), name="rating_stars_range"),
        ]
