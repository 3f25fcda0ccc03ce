"""The ledger: accounts, immutable journal entries whose lines sum to zero, two-phase holds on margin,
recharges (offline voucher or online gateway), maker-checker adjustments and risk-margin withdrawals.

Sign convention: a line's amount is positive when it increases the account's balance. Institution
accounts are what 数银 owes the institution (never negative); 数银's own accounts (clearing = the bank
side, income accounts) may go negative, so every entry still sums to zero."""
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from apps.common.money import MoneyField


class Account(models.Model):
    class Kind(models.TextChoices):
        CASH = "cash", _("现金账户")
        MARGIN = "margin", _("保证金账户")
        RISK = "risk", _("风险保证金")
        CLEARING = "clearing", _("数银清算账户")
        COMMISSION = "commission", _("数银佣金收入")
        SERVICE_FEE = "service_fee", _("数银客户服务费收入")
        PENALTY = "penalty", _("数银罚没收入")
        ADJUSTMENT = "adjustment", _("数银调账账户")

    INSTITUTION_KINDS = (Kind.CASH, Kind.MARGIN, Kind.RISK)

    owner = models.ForeignKey("accounts.Organization", null=True, blank=True, on_delete=models.PROTECT,
                              related_name="ledger_accounts", verbose_name=_("所属机构"))
    kind = models.CharField(_("账户类型"), max_length=16, choices=Kind.choices)
    balance = MoneyField(_("余额"), default=Decimal("0.00"))
    held = MoneyField(_("冻结中"), default=Decimal("0.00"))
    allow_negative = models.BooleanField(default=False, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("资金账户")
        verbose_name_plural = _("资金账户")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "kind"], name="account_owner_kind", nulls_distinct=False),
            models.CheckConstraint(condition=Q(allow_negative=True) | Q(balance__gte=0), name="account_no_negative"),
            models.CheckConstraint(condition=Q(held__gte=0), name="account_held_nonneg"),
            models.CheckConstraint(condition=Q(allow_negative=True) | Q(balance__gte=F("held")),
                                   name="account_position_nonneg"),
        ]
        permissions = [
            ("view_finance_all", _("查看全部机构资金")),
            ("confirm_recharge", _("确认线下充值")),
            ("make_adjustment", _("发起调账")),
            ("check_adjustment", _("复核调账")),
            ("approve_withdrawal", _("审批风险保证金转出")),
            ("transfer_funds", _("账户划转")),
            ("recharge_funds", _("在线充值")),
        ]

    def __str__(self) -> str:
        return f"{self.owner.name if self.owner_id else '数银'} · {self.get_kind_display()}"

    @property
    def available(self) -> Decimal:
        """For margin this is the position (头寸): balance − active holds."""
        return self.balance - self.held


class JournalEntry(models.Model):
    class Kind(models.TextChoices):
        RECHARGE = "recharge", _("充值")
        TRANSFER = "transfer", _("账户划转")
        CAPTURE = "capture", _("头寸扣划")
        PENALTY = "penalty", _("罚款")
        COMMISSION = "commission", _("佣金支付")
        ADJUSTMENT = "adjustment", _("调账")
        WITHDRAWAL = "withdrawal", _("风险保证金转出")

    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices, db_index=True)
    memo = models.CharField(_("摘要"), max_length=200, blank=True)
    ref_type = models.CharField(_("关联类型"), max_length=40, blank=True)
    ref_id = models.CharField(_("关联编号"), max_length=64, blank=True)
    idempotency_key = models.CharField(max_length=80, null=True, blank=True, unique=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("记账凭证")
        verbose_name_plural = _("记账凭证")
        ordering = ["-id"]
        indexes = [models.Index(fields=["ref_type", "ref_id"])]


class JournalLine(models.Model):
    """Never updated or deleted (a database trigger refuses it); corrections are new entries."""

    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="lines")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="lines")
    amount = MoneyField(_("发生额"))
    balance_after = MoneyField(_("余额"))
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("流水")
        verbose_name_plural = _("流水")
        ordering = ["-id"]
        indexes = [models.Index(fields=["account", "-id"])]
        constraints = [models.CheckConstraint(condition=~Q(amount=0), name="line_nonzero")]


class Hold(models.Model):
    """A reservation of margin for one case (opaque ref) at one institution: active → released or captured,
    exactly once."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("冻结中")
        RELEASED = "released", _("已恢复")
        CAPTURED = "captured", _("已扣划")

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="holds")
    institution = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="holds")
    ref_type = models.CharField(max_length=40)
    ref_id = models.CharField(max_length=64)
    amount = MoneyField(_("冻结金额"))
    status = FSMField(_("状态"), default=Status.ACTIVE, choices=Status.choices)
    memo = models.CharField(_("说明"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("冻结时间"), auto_now_add=True)
    resolved_at = models.DateTimeField(_("解冻时间"), null=True, blank=True)
    capture_entry = models.OneToOneField(JournalEntry, null=True, blank=True, on_delete=models.PROTECT,
                                         related_name="captured_hold")

    class Meta:
        verbose_name = _("头寸冻结")
        verbose_name_plural = _("头寸冻结")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["ref_type", "ref_id", "institution"], name="hold_once_per_case"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="hold_positive"),
            models.CheckConstraint(condition=Q(status="active", resolved_at__isnull=True)
                                   | (~Q(status="active") & Q(resolved_at__isnull=False)), name="hold_resolution"),
        ]
        indexes = [models.Index(fields=["account"], condition=Q(status="active"), name="hold_active")]

    @transition(field=status, source=Status.ACTIVE, target=Status.RELEASED)
    def release(self):
        pass

    @transition(field=status, source=Status.ACTIVE, target=Status.CAPTURED)
    def capture(self):
        pass


class Recharge(models.Model):
    class Method(models.TextChoices):
        OFFLINE = "offline", _("线下转账")
        ONLINE = "online", _("在线支付")

    class Status(models.TextChoices):
        PENDING = "pending", _("待确认")
        AWAITING_PAYMENT = "awaiting", _("待支付")
        CREDITED = "credited", _("已入账")
        REJECTED = "rejected", _("已驳回")
        EXPIRED = "expired", _("已过期")
        LATE_PAID = "late_paid", _("过期后支付（待处理）")
        REFUNDED = "refunded", _("已退款")

    institution = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="recharges")
    method = models.CharField(_("方式"), max_length=8, choices=Method.choices)
    amount = MoneyField(_("金额"))
    status = FSMField(_("状态"), choices=Status.choices)
    order_no = models.CharField(_("充值单号"), max_length=32, unique=True)
    bank_reference = models.CharField(_("银行流水号"), max_length=64, blank=True)
    voucher = models.CharField(_("转账凭证"), max_length=200, blank=True)
    provider = models.CharField(_("支付渠道"), max_length=20, blank=True)
    provider_txn_id = models.CharField(_("渠道交易号"), max_length=64, null=True, blank=True, unique=True)
    expires_at = models.DateTimeField(_("支付截止"), null=True, blank=True)
    checkout_url = models.TextField(_("支付链接"), blank=True, editable=False,
                                    help_text=_("渠道返回的收银台地址或二维码内容"))
    entry = models.OneToOneField(JournalEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("驳回原因"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    created_at = models.DateTimeField(_("提交时间"), auto_now_add=True, db_index=True)
    credited_at = models.DateTimeField(_("入账时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("充值")
        verbose_name_plural = _("充值")
        ordering = ["-id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="recharge_positive"),
                       models.CheckConstraint(condition=Q(bank_reference__regex=r"^[ -~]*$"),
                                              name="recharge_bank_reference_ascii")]

    @property
    def provider_label(self) -> str:
        from .gateway import PROVIDERS

        cls = PROVIDERS.get(self.provider)
        return str(cls.label) if cls else self.provider

    @transition(field=status, source=[Status.PENDING, Status.AWAITING_PAYMENT, Status.LATE_PAID],
                target=Status.CREDITED)
    def credit(self):
        pass

    @transition(field=status, source=Status.PENDING, target=Status.REJECTED)
    def reject(self, reason: str):
        self.reason = reason

    @transition(field=status, source=Status.AWAITING_PAYMENT, target=Status.EXPIRED)
    def expire(self):
        pass

    @transition(field=status, source=Status.EXPIRED, target=Status.LATE_PAID)
    def flag_late(self, note: str):
        """A payment arrived for an order that was already closed: not credited silently; a settlement
        clerk refunds it or credits it by hand (``recharge_late_resolve``)."""
        self.reason = note[:200]

    @transition(field=status, source=Status.LATE_PAID, target=Status.REFUNDED)
    def refund(self, note: str):
        self.reason = note[:200]


class Approval(models.Model):
    """Money moves that need a second person: manual adjustments (maker-checker) and moving risk margin
    back to cash. Applied once, on approval, by a different user than the one who asked."""

    class Kind(models.TextChoices):
        ADJUSTMENT = "adjustment", _("调账")
        WITHDRAWAL = "withdrawal", _("风险保证金转回现金")
        PENALTY = "penalty", _("罚款（从风险保证金扣除）")

    class Status(models.TextChoices):
        PENDING = "pending", _("待复核")
        APPROVED = "approved", _("已通过")
        REJECTED = "rejected", _("已驳回")

    kind = models.CharField(_("类型"), max_length=12, choices=Kind.choices)
    institution = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+")
    account_kind = models.CharField(_("账户"), max_length=16, choices=Account.Kind.choices)
    amount = MoneyField(_("金额"), help_text=_("调账：正数为调增，负数为调减"))
    reason = models.CharField(_("原因"), max_length=200)
    status = FSMField(_("状态"), default=Status.PENDING, choices=Status.choices)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decision_note = models.CharField(_("复核意见"), max_length=200, blank=True)
    entry = models.OneToOneField(JournalEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    decided_at = models.DateTimeField(_("复核时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("资金复核")
        verbose_name_plural = _("资金复核")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="approval_nonzero"),
            models.CheckConstraint(condition=Q(decided_by__isnull=True) | ~Q(decided_by=F("requested_by")),
                                   name="approval_four_eyes"),
        ]

    @transition(field=status, source=Status.PENDING, target=Status.APPROVED)
    def approve(self):
        pass

    @transition(field=status, source=Status.PENDING, target=Status.REJECTED)
    def reject(self):
        pass


class GatewayPayment(models.Model):
    """The local payment gateway's own record (what a real gateway keeps on its side)."""

    txn_id = models.CharField(max_length=64, unique=True)
    order_no = models.CharField(max_length=32, unique=True)
    amount = MoneyField()
    notify_url = models.CharField(max_length=300)
    return_url = models.CharField(max_length=300)
    paid_at = models.DateTimeField(null=True, blank=True)
    notify_attempts = models.PositiveIntegerField(default=0)
    notified_at = models.DateTimeField(null=True, blank=True)
