"""Every balance change goes through this module.

Locking policy (no deadlocks): inside one transaction, lock the business row first (recharge,
approval, hold), then the accounts in primary-key order (``_lock_accounts``), then write. The ledger
knows nothing of applications: callers pass an opaque reference (``ref_type``, ``ref_id``).
"""
import secrets
from datetime import timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum
from django.utils import timezone
from django.urls import reverse

from apps.accounts.models import Organization
from apps.common.money import ZERO, format_cny, to_money
from apps.common.params import param_get

from .models import Account, Approval, GatewayPayment, Hold, JournalEntry, JournalLine, Recharge

K = Account.Kind


class LedgerError(ValidationError):
    """A refusal with a Chinese message for the user; nothing was changed."""


def _root(org: Organization) -> Organization:
    return org if org.parent_id is None else Organization.objects.get(pk=org.root_id)


def institution_accounts(institution: Organization) -> dict[str, Account]:
    """The legal entity's cash, margin and risk-margin accounts (created on first use). Sub-institutions
    use their root's accounts."""
    root = _root(institution)
    found = {a.kind: a for a in Account.objects.filter(owner=root, kind__in=Account.INSTITUTION_KINDS)}
    for kind in Account.INSTITUTION_KINDS:
        if kind not in found:
            try:
                with transaction.atomic():
                    found[kind] = Account.objects.create(owner=root, kind=kind)
            except IntegrityError:  # created concurrently
                found[kind] = Account.objects.get(owner=root, kind=kind)
    return found


def platform_account(kind: str) -> Account:
    try:
        with transaction.atomic():
            return Account.objects.get_or_create(owner=None, kind=kind, defaults={"allow_negative": True})[0]
    except IntegrityError:
        return Account.objects.get(owner=None, kind=kind)


def _lock_accounts(*accounts: Account) -> dict[int, Account]:
    ids = sorted({a.pk for a in accounts})
    return {a.pk: a for a in Account.objects.select_for_update().filter(pk__in=ids).order_by("pk")}


def _post(*, kind: str, legs: list[tuple[Account, Decimal]], memo: str, user=None, ref_type: str = "",
          ref_id: str = "", key: str | None = None) -> JournalEntry:
    """Write one balanced entry. The accounts in ``legs`` must already be locked by the caller."""
    total = sum((amount for _, amount in legs), ZERO)
    if total != ZERO or len(legs) < 2:
        raise ValueError(f"unbalanced entry: {legs}")
    for account, amount in legs:
        new_balance = account.balance + amount
        if not account.allow_negative and new_balance - account.held < 0:
            raise LedgerError(
                f"{account.get_kind_display()}可用余额不足：可用 {format_cny(account.available)}，需 {format_cny(-amount)}。")
        account.balance = new_balance
    entry = JournalEntry.objects.create(kind=kind, memo=memo[:200], created_by=user, ref_type=ref_type,
                                        ref_id=str(ref_id), idempotency_key=key)
    JournalLine.objects.bulk_create(
        [JournalLine(entry=entry, account=a, amount=amt, balance_after=a.balance) for a, amt in legs])
    for account, _ in legs:
        account.save(update_fields=["balance", "held", "updated_at"])
    return entry


def _existing(key: str | None) -> JournalEntry | None:
    return JournalEntry.objects.filter(idempotency_key=key).first() if key else None


# ---- transfers between an institution's own accounts ----

ALLOWED_TRANSFERS = {(K.CASH, K.MARGIN), (K.MARGIN, K.CASH), (K.CASH, K.RISK)}


def transfer(*, institution: Organization, source: str, target: str, amount, user=None,
             key: str | None = None, memo: str = "") -> JournalEntry:
    """Move money between the institution's own accounts. Margin leaves only within the free position;
    risk margin goes back to cash only through a 数银-approved request (``approval_request``).

    1. resolve accounts; 2. lock both in pk order; 3. replayed key → the earlier entry; 4. post."""
    amount = to_money(amount)
    if amount <= 0:
        raise LedgerError("划转金额必须大于 0。")
    if (source, target) not in ALLOWED_TRANSFERS:
        raise LedgerError("不支持该划转方向：风险保证金转回现金需提交申请，由数银审批。")
    accts = institution_accounts(institution)
    with transaction.atomic():
        locked = _lock_accounts(accts[source], accts[target])
        if (done := _existing(key)) is not None:
            return done
        src, dst = locked[accts[source].pk], locked[accts[target].pk]
        return _post(kind=JournalEntry.Kind.TRANSFER, legs=[(src, -amount), (dst, amount)], user=user, key=key,
                     memo=memo or f"{src.get_kind_display()} → {dst.get_kind_display()}")


# ---- holds on margin (two-phase: active → released or captured, exactly once) ----

_ACCOUNT_IDS: dict[tuple[int, str], int] = {}


def _margin_account_id(root: Organization) -> int:
    """Account ids never change once created, so the hot path looks them up once per process."""
    key = (root.pk, K.MARGIN)
    if key not in _ACCOUNT_IDS:
        for kind, account in institution_accounts(root).items():
            _ACCOUNT_IDS[(root.pk, kind)] = account.pk
    return _ACCOUNT_IDS[key]


def hold_place(*, institution: Organization, ref_type: str, ref_id, amount, memo: str = "") -> Hold:
    """Reserve ``amount`` of the institution's margin position for one case. Placing the same
    (case, institution) again returns the existing hold. Refused when the position is short.

    Hot path (dispatch places thousands), so it is one statement: the database function
    ``positions_hold_place`` (migration 0003) inserts the hold and compare-and-sets the margin row
    (the row lock serialises concurrent holds; a short position leaves nothing behind)."""
    amount = to_money(amount)
    if amount <= 0:
        raise LedgerError("冻结金额必须大于 0。")
    root = institution if institution.parent_id is None else Organization.objects.get(pk=institution.root_id)
    account_id = _margin_account_id(root)
    now = timezone.now()
    with connection.cursor() as cur:
        cur.execute("SELECT hold_id, outcome FROM positions_hold_place(%s, %s, %s, %s, %s, %s, %s)",
                    [account_id, root.pk, ref_type, str(ref_id), amount, memo[:200], now])
        hold_id, outcome = cur.fetchone()
    if outcome == "existing":
        return Hold.objects.get(pk=hold_id)
    if outcome == "insufficient":
        available = Account.objects.get(pk=account_id).available
        raise LedgerError(f"保证金头寸不足：可用头寸 {format_cny(available)}，本单需冻结 {format_cny(amount)}。")
    return Hold(pk=hold_id, account_id=account_id, institution=root, ref_type=ref_type, ref_id=str(ref_id),
                amount=amount, status=Hold.Status.ACTIVE, memo=memo[:200], created_at=now)


def _lock_active_hold(hold_id: int) -> Hold | None:
    hold = Hold.objects.select_for_update().get(pk=hold_id)
    return hold if hold.status == Hold.Status.ACTIVE else None


def hold_release(*, hold_id: int) -> bool:
    """Release (恢复头寸) exactly once, in one statement: compare-and-set the hold's status (hold row
    first), then give the amount back to the position. False when it was already resolved."""
    with connection.cursor() as cur:
        cur.execute(
            "WITH h AS (UPDATE positions_hold SET status = 'released', resolved_at = %s"
            "           WHERE id = %s AND status = 'active' RETURNING account_id, amount)"
            " UPDATE positions_account a SET held = a.held - h.amount, updated_at = %s"
            " FROM h WHERE a.id = h.account_id RETURNING a.id", [timezone.now(), hold_id, timezone.now()])
        return cur.fetchone() is not None


def hold_capture(*, hold_id: int, amount=None, to_kind: str = K.COMMISSION, memo: str = "",
                 user=None) -> JournalEntry | None:
    """Take (part of) a held amount into 数银's account and end the hold. None if already resolved."""
    with transaction.atomic():
        hold = _lock_active_hold(hold_id)
        if hold is None:
            return None
        take = hold.amount if amount is None else to_money(amount)
        if not ZERO < take <= hold.amount:
            raise LedgerError(f"扣划金额须大于 0 且不超过冻结金额 {format_cny(hold.amount)}。")
        income = platform_account(to_kind)
        locked = _lock_accounts(hold.account, income)
        margin = locked[hold.account_id]
        margin.held -= hold.amount  # the whole hold ends; the rest goes back to the position
        entry = _post(kind=JournalEntry.Kind.CAPTURE, legs=[(margin, -take), (locked[income.pk], take)], user=user,
                      ref_type=hold.ref_type, ref_id=hold.ref_id, memo=memo or "头寸扣划")
        hold.capture()
        hold.resolved_at, hold.capture_entry = timezone.now(), entry
        hold.save(update_fields=["status", "resolved_at", "capture_entry"])
        return entry


# ---- penalties and payments to 数银 ----

def penalise(*, institution: Organization, amount, reason: str, user=None, ref_type: str = "", ref_id="",
             key: str | None = None) -> JournalEntry:
    """Take a penalty from the institution's risk margin into 数银's penalty income."""
    return _to_platform(institution=institution, source=K.RISK, target=K.PENALTY, amount=amount, memo=reason,
                        kind=JournalEntry.Kind.PENALTY, user=user, ref_type=ref_type, ref_id=ref_id, key=key)


def pay_from_cash(*, institution: Organization, amount, to_kind: str = K.COMMISSION, memo: str, user=None,
                  ref_type: str = "", ref_id="", key: str | None = None) -> JournalEntry:
    """The institution pays 数银 (commission, service fee) from its cash account."""
    return _to_platform(institution=institution, source=K.CASH, target=to_kind, amount=amount, memo=memo,
                        kind=JournalEntry.Kind.COMMISSION, user=user, ref_type=ref_type, ref_id=ref_id, key=key)


def collect(*, institution: Organization, parts: dict[str, Decimal], from_cash: bool, memo: str, user=None,
            ref_type: str = "", ref_id="", key: str | None = None) -> JournalEntry:
    """数银 collects what an institution owes (commission, service fee …) in one entry: from the
    institution's cash account (``from_cash``), or, when it paid by bank transfer, from the clearing
    account that stands for 数银's bank. ``parts`` maps a 数银 income account kind to its amount."""
    parts = {k: to_money(v) for k, v in parts.items() if to_money(v) != 0}
    if not parts or any(v < 0 for v in parts.values()):
        raise LedgerError("收款金额必须大于 0。")
    total = sum(parts.values(), ZERO)
    source = institution_accounts(institution)[K.CASH] if from_cash else platform_account(K.CLEARING)
    targets = {kind: platform_account(kind) for kind in parts}
    with transaction.atomic():
        locked = _lock_accounts(source, *targets.values())
        if (done := _existing(key)) is not None:
            return done
        legs = [(locked[source.pk], -total)] + [(locked[targets[k].pk], amt) for k, amt in parts.items()]
        return _post(kind=JournalEntry.Kind.COMMISSION, legs=legs, memo=memo, user=user, ref_type=ref_type,
                     ref_id=ref_id, key=key)


def _to_platform(*, institution, source, target, amount, memo, kind, user, ref_type, ref_id, key):
    amount = to_money(amount)
    if amount <= 0:
        raise LedgerError("金额必须大于 0。")
    src = institution_accounts(institution)[source]
    dst = platform_account(target)
    with transaction.atomic():
        locked = _lock_accounts(src, dst)
        if (done := _existing(key)) is not None:
            return done
        return _post(kind=kind, legs=[(locked[src.pk], -amount), (locked[dst.pk], amount)], memo=memo, user=user,
                     ref_type=ref_type, ref_id=ref_id, key=key)


# ---- recharge ----

def _order_no() -> str:
    return f"CZ{timezone.localtime():%Y%m%d%H%M%S}{secrets.token_hex(3).upper()}"


def _credit(recharge: Recharge, *, user=None) -> JournalEntry:
    """Credit a (locked) recharge to the institution's cash, once."""
    cash = institution_accounts(recharge.institution)[K.CASH]
    clearing = platform_account(K.CLEARING)
    locked = _lock_accounts(cash, clearing)
    entry = _post(kind=JournalEntry.Kind.RECHARGE, legs=[(locked[clearing.pk], -recharge.amount),
                                                         (locked[cash.pk], recharge.amount)],
                  memo=f"充值 {recharge.order_no}（{recharge.get_method_display()}）", user=user,
                  ref_type="recharge", ref_id=recharge.order_no, key=f"recharge:{recharge.order_no}")
    recharge.credit()
    recharge.entry, recharge.credited_at = entry, timezone.now()
    return entry


def recharge_offline_submit(*, institution: Organization, amount, bank_reference: str, voucher_path: str,
                            user) -> Recharge:
    amount = to_money(amount)
    if amount <= 0:
        raise LedgerError("充值金额必须大于 0。")
    return Recharge.objects.create(institution=_root(institution), method=Recharge.Method.OFFLINE, amount=amount,
                                   status=Recharge.Status.PENDING, order_no=_order_no(),
                                   bank_reference=bank_reference, voucher=voucher_path, created_by=user)


def _recharge_settle(*, recharge_id: int, method: str, expect_status: str, user, credit: bool, reason: str,
                     missing_reason: str, refuse) -> Recharge:
    """Settle one recharge a clerk decides on, exactly once: lock it, check it still waits for that decision,
    then credit it to the institution's cash or record ``reason`` through ``refuse`` (reject / refund)."""
    with transaction.atomic():
        recharge = Recharge.objects.select_for_update().get(pk=recharge_id, method=method)
        if recharge.status != expect_status:
            raise LedgerError("该充值已处理，无需重复操作。")
        if credit:
            _credit(recharge, user=user)
        else:
            if not reason:
                raise LedgerError(missing_reason)
            refuse(recharge, reason)
        recharge.reviewed_by = user
        recharge.save()
        return recharge


def recharge_offline_decide(*, recharge_id: int, user, approve: bool, reason: str = "") -> Recharge:
    """结算员 confirms (credits cash once) or rejects an offline transfer."""
    recharge = _recharge_settle(recharge_id=recharge_id, method=Recharge.Method.OFFLINE,
                                expect_status=Recharge.Status.PENDING, user=user, credit=approve, reason=reason,
                                missing_reason="请填写驳回原因。", refuse=Recharge.reject)
    from apps.messaging.services import message_send

    outcome = f"已入账 {format_cny(recharge.amount)}" if approve else f"被驳回：{reason}"
    message_send(recipients=[recharge.created_by_id], title=f"充值 {recharge.order_no} {outcome}",
                 link=reverse("inst:recharge_list"), category="finance")
    return recharge


ONLINE_COUNTED = (Recharge.Status.AWAITING_PAYMENT, Recharge.Status.CREDITED, Recharge.Status.LATE_PAID)


def recharge_online_create(*, institution: Organization, amount, user, provider: str = "local") -> Recharge:
    """An online order for one enabled provider, within the per-order and per-institution-per-day limits
    (system parameters). The institution's cash account row is locked while the day's total is counted,
    so concurrent orders cannot pass the daily limit together."""
    from .gateway import provider_enabled

    amount = to_money(amount)
    if amount <= 0:
        raise LedgerError("充值金额必须大于 0。")
    if not provider_enabled(provider):
        raise LedgerError("该支付方式未开通，请选择其他支付方式。")
    order_max = param_get("positions.online_order_max")
    if amount > order_max:
        raise LedgerError(f"单笔在线充值不能超过 {format_cny(order_max)}，大额请使用线下银行转账。")
    root = _root(institution)
    cash = institution_accounts(root)[K.CASH]
    minutes = param_get("positions.online_order_minutes")
    with transaction.atomic():
        _lock_accounts(cash)
        day_start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
        today = Recharge.objects.filter(institution=root, method=Recharge.Method.ONLINE, created_at__gte=day_start,
                                        status__in=ONLINE_COUNTED).aggregate(t=Sum("amount"))["t"] or ZERO
        daily_max = param_get("positions.online_daily_max")
        if today + amount > daily_max:
            raise LedgerError(f"超出每日在线充值上限 {format_cny(daily_max)}：今日已下单 {format_cny(today)}，"
                              f"本次最多还可充值 {format_cny(max(daily_max - today, ZERO))}。")
        return Recharge.objects.create(institution=root, method=Recharge.Method.ONLINE, amount=amount,
                                       status=Recharge.Status.AWAITING_PAYMENT, order_no=_order_no(),
                                       provider=provider, expires_at=timezone.now() + timedelta(minutes=minutes),
                                       created_by=user)


def _notify_clerks(title: str, body: str = "") -> None:
    from apps.accounts.models import User
    from apps.messaging.services import message_send

    recipients = list(User.objects.filter(is_active=True, roles__code="settlement_clerk",
                                          roles__organization__isnull=True).distinct().values_list("pk", flat=True))
    if recipients:
        message_send(recipients=recipients, title=title, body=body, link=reverse("ops:recharge_queue") + "?status=late_paid",
                     category="finance")


def recharge_online_paid(*, order_no: str, txn_id: str, amount: Decimal) -> tuple[Recharge, bool]:
    """A verified payment (notice, browser return or trade query). Idempotent by the provider's
    transaction id: a duplicate returns (recharge, False). A notice whose amount differs from the order
    is refused. A payment for an order already expired (closed) is not credited: the order is flagged
    ``late_paid`` for a settlement clerk to refund or credit by hand, and (recharge, False) returned."""
    with transaction.atomic():
        recharge = Recharge.objects.select_for_update().get(order_no=order_no, method=Recharge.Method.ONLINE)
        if recharge.provider_txn_id:
            if recharge.provider_txn_id != txn_id:
                raise LedgerError("该订单已由另一笔交易支付。")
            return recharge, False
        if to_money(amount) != recharge.amount:
            raise LedgerError("支付金额与订单金额不符。")
        recharge.provider_txn_id = txn_id
        if recharge.status == Recharge.Status.EXPIRED:
            recharge.flag_late(f"订单过期关闭后收到支付 {format_cny(recharge.amount)}（{txn_id}），待退款或人工入账。")
            recharge.save(update_fields=["status", "reason", "provider_txn_id"])
            transaction.on_commit(lambda: _notify_clerks(
                f"在线充值 {order_no} 过期后收到支付，请处理", recharge.reason))
            return recharge, False
        _credit(recharge)
        recharge.save()
        return recharge, True


def recharge_late_resolve(*, recharge_id: int, user, credit: bool, reason: str = "") -> Recharge:
    """A settlement clerk settles a payment that arrived after its order expired: credit it to the
    institution's cash (once) or record that it was refunded through the provider."""
    return _recharge_settle(recharge_id=recharge_id, method=Recharge.Method.ONLINE,
                            expect_status=Recharge.Status.LATE_PAID, user=user, credit=credit, reason=reason,
                            missing_reason="请填写退款说明（如支付渠道退款单号）。", refuse=Recharge.refund)


def recharge_settle_by_query(*, recharge: Recharge, close_if_expired: bool = False, now=None) -> str:
    """Ask the provider about one unsettled online order (no lock is held while it answers): paid →
    credited once; unpaid and past its deadline (with ``close_if_expired``) → closed at the provider,
    asked once more (a payment may have slipped in), then expired by compare-and-set. Returns what
    happened: credited / duplicate / expired / waiting / unavailable / refused."""
    from .gateway import ProviderUnavailable, provider

    now = now or timezone.now()
    try:
        gw = provider(recharge.provider)
        state = gw.query(order_no=recharge.order_no)
        if not state.paid and close_if_expired and recharge.expires_at and recharge.expires_at < now:
            gw.close(order_no=recharge.order_no)
            state = gw.query(order_no=recharge.order_no)
            if not state.paid:
                done = Recharge.objects.filter(pk=recharge.pk, status=Recharge.Status.AWAITING_PAYMENT).update(
                    status=Recharge.Status.EXPIRED)
                return "expired" if done else "waiting"
    except ProviderUnavailable:
        return "unavailable"
    if not state.paid:
        return "waiting"
    try:
        _r, new = recharge_online_paid(order_no=recharge.order_no, txn_id=state.txn_id, amount=state.amount)
    except LedgerError:
        return "refused"
    return "credited" if new else "duplicate"


def recharges_reconcile(*, now=None) -> dict[str, int]:
    """Beat task: online orders of real providers still awaiting payment N minutes after creation
    (``positions.online_query_after_minutes``) are settled by trade query (the notify may never come);
    those past their deadline are closed at the provider and expired. Idempotent: crediting is keyed by
    the provider's transaction id and expiry is a compare-and-set."""
    now = now or timezone.now()
    after = param_get("positions.online_query_after_minutes")
    due = Recharge.objects.filter(method=Recharge.Method.ONLINE, status=Recharge.Status.AWAITING_PAYMENT,
                                  created_at__lt=now - timedelta(minutes=after)).exclude(provider="local")
    outcomes: dict[str, int] = {}
    for recharge in due.order_by("pk")[:500]:
        outcome = recharge_settle_by_query(recharge=recharge, close_if_expired=True, now=now)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


def recharges_expire(*, now=None) -> int:
    """Beat sweep for the local gateway's orders: unpaid past their deadline become expired
    (compare-and-set). Real providers' orders are closed at the provider first (``recharges_reconcile``)."""
    now = now or timezone.now()
    return Recharge.objects.filter(status=Recharge.Status.AWAITING_PAYMENT, expires_at__lt=now,
                                   provider="local").update(status=Recharge.Status.EXPIRED)


# ---- second-person approvals: manual adjustments and risk margin → cash ----

def approval_request(*, kind: str, institution: Organization, account_kind: str, amount, reason: str,
                     user) -> Approval:
    amount = to_money(amount)
    if amount == 0:
        raise LedgerError("金额不能为 0。")
    if kind == Approval.Kind.WITHDRAWAL and (amount < 0 or account_kind != K.RISK):
        raise LedgerError("风险保证金转回现金的金额必须为正数。")
    if kind == Approval.Kind.PENALTY and (amount < 0 or account_kind != K.RISK):
        raise LedgerError("罚款金额必须为正数，从风险保证金扣除。")
    if account_kind not in Account.INSTITUTION_KINDS:
        raise LedgerError("只能调整机构的现金、保证金或风险保证金账户。")
    if kind == Approval.Kind.WITHDRAWAL:
        return _withdrawal_request(institution=institution, amount=amount, reason=reason, user=user)
    return Approval.objects.create(kind=kind, institution=_root(institution), account_kind=account_kind,
                                   amount=amount, reason=reason, requested_by=user)


def _withdrawal_request(*, institution: Organization, amount: Decimal, reason: str, user) -> Approval:
    """Risk margin back to cash is refused when asked, not only when approved, if it exceeds what is
    available: the risk account's free balance less the withdrawals already waiting for approval. The
    account row is locked while counting, so two concurrent requests cannot both pass."""
    root = _root(institution)
    risk = institution_accounts(root)[K.RISK]
    with transaction.atomic():
        risk = _lock_accounts(risk)[risk.pk]
        waiting = Approval.objects.filter(institution=root, kind=Approval.Kind.WITHDRAWAL,
                                          status=Approval.Status.PENDING).aggregate(t=Sum("amount"))["t"] or ZERO
        free = risk.available - waiting
        if amount > free:
            extra = f"（另有待审批转出 {format_cny(waiting)}）" if waiting else ""
            raise LedgerError(f"风险保证金可用余额不足：可转出 {format_cny(max(free, ZERO))}{extra}，"
                              f"本次申请 {format_cny(amount)}。")
        return Approval.objects.create(kind=Approval.Kind.WITHDRAWAL, institution=root, account_kind=K.RISK,
                                       amount=amount, reason=reason, requested_by=user)


def approval_decide(*, approval_id: int, user, approve: bool, note: str = "") -> Approval:
    """The second person approves (money moves once) or rejects. The requester cannot decide."""
    with transaction.atomic():
        approval = Approval.objects.select_for_update().get(pk=approval_id)
        if approval.status != Approval.Status.PENDING:
            raise LedgerError("该申请已处理。")
        if approval.requested_by_id == user.pk:
            raise LedgerError("复核人不能是申请人本人，请由另一位同事复核。")
        if approve:
            accts = institution_accounts(approval.institution)
            if approval.kind == Approval.Kind.WITHDRAWAL:
                locked = _lock_accounts(accts[K.RISK], accts[K.CASH])
                legs = [(locked[accts[K.RISK].pk], -approval.amount), (locked[accts[K.CASH].pk], approval.amount)]
                kind = JournalEntry.Kind.WITHDRAWAL
            elif approval.kind == Approval.Kind.PENALTY:
                penalty = platform_account(K.PENALTY)
                locked = _lock_accounts(accts[K.RISK], penalty)
                legs = [(locked[accts[K.RISK].pk], -approval.amount), (locked[penalty.pk], approval.amount)]
                kind = JournalEntry.Kind.PENALTY
            else:
                target, adjust = accts[approval.account_kind], platform_account(K.ADJUSTMENT)
                locked = _lock_accounts(target, adjust)
                legs = [(locked[target.pk], approval.amount), (locked[adjust.pk], -approval.amount)]
                kind = JournalEntry.Kind.ADJUSTMENT
            approval.entry = _post(kind=kind, legs=legs, memo=approval.reason, user=user, ref_type="approval",
                                   ref_id=approval.pk, key=f"approval:{approval.pk}")
            approval.approve()
        else:
            approval.reject()
        approval.decided_by, approval.decided_at, approval.decision_note = user, timezone.now(), note
        approval.save()
        return approval


# ---- the local payment gateway's side (what a real gateway does on its servers) ----

def gateway_pay(*, order_no: str, notify_url: str, return_url: str) -> GatewayPayment:
    """The payer confirms on the gateway's page: the gateway records the payment once."""
    recharge = Recharge.objects.get(order_no=order_no, method=Recharge.Method.ONLINE)
    with transaction.atomic():
        payment, _ = GatewayPayment.objects.select_for_update().get_or_create(
            order_no=order_no, defaults={"txn_id": f"LG{secrets.token_hex(10).upper()}", "amount": recharge.amount,
                                         "notify_url": notify_url, "return_url": return_url})
        if payment.paid_at is None:
            payment.paid_at = timezone.now()
            payment.save(update_fields=["paid_at"])
    return payment
