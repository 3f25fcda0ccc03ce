"""Settlement (结算流程): after disbursement 跟单 confirms the amount with the institution and the CM confirms
with the client; the statement (commission + client service fee) is issued; the institution pays (from its
cash account through the ledger, or by bank transfer with a voucher); 结算员 confirms receipt; 跟单 confirms
and the hold is released (恢复头寸); both sides rate each other; the application is complete."""
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from apps.common.models import TimeStampedModel
from apps.common.money import MoneyField


class Agreement(TimeStampedModel):
    """An institution's commission terms for one product, overriding the product's defaults: a rate on the
    disbursed amount or a fixed sum per case, with a minimum, and the client service fee."""

    institution = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("机构"))
    product = models.ForeignKey("products.Product", on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("产品"))
    rate = models.DecimalField(_("佣金费率"), max_digits=6, decimal_places=4, null=True, blank=True,
                               validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))])
    fixed_amount = MoneyField(_("固定佣金"), null=True, blank=True)
    minimum = MoneyField(_("最低佣金"), default=Decimal("0.00"))
    service_fee = MoneyField(_("客户服务费"), null=True, blank=True)

    class Meta:
        verbose_name = _("佣金协议")
        verbose_name_plural = _("佣金协议")
        constraints = [
            models.UniqueConstraint(fields=["institution", "product"], name="agreement_once"),
            models.CheckConstraint(condition=Q(rate__isnull=False) | Q(fixed_amount__isnull=False),
                                   name="agreement_has_basis"),
        ]


class Settlement(TimeStampedModel):
    class Status(models.TextChoices):
        CONFIRMING = "confirming", _("金额确认")
        STATEMENT = "statement", _("已出账单")
        PAID = "paid", _("已付款待确认")
        CONFIRMED = "confirmed", _("结算员已确认")
        RELEASED = "released", _("已恢复头寸")

    class Method(models.TextChoices):
        LEDGER = "ledger", _("现金账户支付")
        OFFLINE = "offline", _("线下转账")

    TONES = {"confirming": "warning", "statement": "primary", "paid": "info", "confirmed": "info",
             "released": "success"}

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
    # the statement (账单)
    basis = models.CharField(_("计费方式"), max_length=10, blank=True)  # rate | fixed
    rate = models.DecimalField(_("佣金费率"), max_digits=6, decimal_places=4, null=True, blank=True)
    minimum = MoneyField(_("最低佣金"), null=True, blank=True)
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
        ]
        permissions = [
            ("confirm_amount", _("跟单确认放款金额、确认结算完成")),
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

    @transition(field=status, source=Status.CONFIRMING, target=Status.STATEMENT)
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
