"""Every write of settlement. Lock order: the application row, then the settlement; money goes through the
positions services (idempotency keys per settlement), the hold through dispatch.candidate_release. Each
step re-checks the status under the lock, so a double click or two people at once change it once."""
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _, gettext_lazy

from apps.accounts.models import User
from apps.applications.models import Application
from apps.applications.services import status_apply
from apps.common import clock
from apps.common.db import retry_on_conflict
from apps.common.money import to_money
from apps.common.numbers import percent_text
from apps.common.transitions import LogTable, Notice, Workflow
from apps.common.params import params_get_many
from apps.dispatch import stats
from apps.dispatch.services import candidate_release, institution_users
from apps.messaging.services import message_send
from apps.webhooks import services as webhooks
from apps.positions import services as ledger
from apps.positions.models import Account

from . import commission
from .models import CommissionAdjustment, FollowUp, Rating, Settlement, SettlementLog
from .selectors import settlements_for_user

S = Settlement.Status


def _settlement_changed(s: Settlement) -> None:
    """Every entry in a settlement's log is a ``settlement.changed`` webhook event for the institution."""
    webhooks.emit(s.institution_id, "settlement.changed", {"settlement_id": s.pk, "number": s.number, "status": s.status})


SETTLEMENT_LOG = LogTable(SettlementLog, "settlement", written=_settlement_changed)


def _log(s: Settlement, text: str, actor=None) -> None:
    SETTLEMENT_LOG.write(s, actor=actor, text=text)


def _holders(codename: str):
    """Active 数银 staff whose roles hold ``settlement.<codename>``."""
    return (User.objects.filter(is_active=True, roles__is_active=True, roles__organization__isnull=True,
                                roles__permissions__content_type__app_label="settlement",
                                roles__permissions__codename=codename).distinct())


def _clerks(s: Settlement) -> list[int]:
    """The 跟单员 who work this institution's settlements: those reporting to its 跟单经理, or every active
    跟单员 when none does."""
    clerks = _holders("confirm_amount")
    mine = list(clerks.filter(superior_id=s.institution.follower_id).order_by("pk").values_list("pk", flat=True)
                if s.institution.follower_id else [])
    return mine or list(clerks.order_by("pk").values_list("pk", flat=True))


def _link(s: Settlement) -> str:
    return reverse("ops:settlement_detail", args=[s.pk])


def _inst_link(s: Settlement) -> str:
    return reverse("inst:settlement_detail", args=[s.pk])


def settlement_open(case) -> Settlement:
    """The cases on_disbursed hook: a settlement waiting for 跟单 and the CM to confirm the amount."""
    s = Settlement.objects.create(case=case, application_id=case.application_id, institution_id=case.institution_id,
                                  disbursed_amount=case.disbursed_amount)
    _log(s, _("机构录入放款 %(a)s 元，待跟单员确认金额、客户经理确认到账") % {"a": f"{case.disbursed_amount:,.2f}"})
    message_send(recipients=_clerks(s) + [case.application.cm_id], category="workflow", link=_link(s),
                 title=_("贷款 %(no)s 已放款，请确认放款金额与客户到账") % {"no": case.application.order_no})
    return s


def _lock(actor, settlement_id: int) -> Settlement:
    """The application row, then the settlement; the settlement carries the locked application."""
    ref = settlements_for_user(user=actor).filter(pk=settlement_id).values("application_id").first()
    if ref is None:
        raise Http404
    app = Application.objects.select_for_update(of=("self",)).select_related("product").get(pk=ref["application_id"])
    s = Settlement.objects.select_for_update(of=("self",)).select_related("institution", "case__candidate").get(
        pk=settlement_id)
    s.application = app
    return s


SETTLEMENTS: Workflow[Settlement] = Workflow(
    lock=_lock, log=SETTLEMENT_LOG, send=message_send,
    refused=gettext_lazy("结算单当前状态为“%(status)s”，不能%(label)s（可能已被他人处理），请刷新页面。"))

# every step of a settlement: the transition it makes (or the states it is taken in) and its code
STEPS = {
    "amount": ([S.CONFIRMING], "settlement.confirm_amount"),
    "client": ([S.CONFIRMING], "settlement.confirm_client"),
    "commission": ("issue", "settlement.confirm_commission"),
    "decide": ("issue", "settlement.approve_commission"),
    "pay": ("pay", "settlement.pay_settlement"),
    "receipt": ("confirm_receipt", "settlement.confirm_receipt"),
    "release": ("release", "settlement.release_hold"),
    "rate_institution": ([S.RELEASED], "settlement.rate_institution"),
    "rate_platform": ([S.RELEASED], "settlement.rate_platform"),
}


def _pending(s: Settlement):
    return s.adjustments.filter(status=CommissionAdjustment.Status.PENDING).first()


def step_rule(s: Settlement, user, name: str) -> bool:
    """Each step's own condition beyond the state and the code (the services check it again under the lock)."""
    if name == "amount":
        return not s.of_confirmed_at
    if name == "client":
        return s.application.cm_id == user.pk and not s.cm_confirmed_at
    if name in ("commission", "decide"):
        pending = _pending(s)
        return pending is None if name == "commission" else pending is not None and pending.proposed_by_id != user.pk
    if name.startswith("rate_"):
        side = Rating.Side.PLATFORM if name == "rate_institution" else Rating.Side.INSTITUTION
        return not s.completed_at and not s.ratings.filter(side=side).exists()
    return True


def steps_open(*, user, s: Settlement) -> list[str]:
    """The steps ``user`` may take on the settlement now, from the state machine, the codes and the rules."""
    return SETTLEMENTS.allowed(s, user, STEPS, who=step_rule)


def _run(*, actor, settlement_id: int, step: str, label: str, **kw) -> Settlement:
    where, code = STEPS[step]
    if isinstance(where, str):
        kw.setdefault("method", where)
    else:
        kw.setdefault("expect", where)
    return SETTLEMENTS.run(actor=actor, pk=settlement_id, perm=code, label=label, **kw)


def _note(text: str) -> str:
    return _("（%(n)s）") % {"n": text} if text else ""


# ---- amount confirmation and the statement ----

def confirm_amount(*, actor, settlement_id: int, amount, note: str = "") -> Settlement:
    """跟单员 confirms the disbursed amount with the institution (a different figure needs a note)."""
    amount = to_money(amount)
    note = note.strip()

    def check(s):
        app = s.application
        if s.of_confirmed_at:
            raise ValidationError(_("放款金额已确认。"))
        if amount <= 0 or amount > app.amount:
            raise ValidationError(_("确认金额应大于 0 且不超过申请金额 %(a)s 元。") % {"a": f"{app.amount:,.2f}"})
        if amount != s.disbursed_amount and not note:
            raise ValidationError(_("确认金额与机构录入的 %(a)s 元不一致，请填写说明。") % {"a": f"{s.disbursed_amount:,.2f}"})
        s.confirmed_amount, s.amount_note = amount, note[:300]
        s.of_confirmed_by, s.of_confirmed_at = actor, clock.now()
        return _("跟单员确认放款金额 %(a)s 元") % {"a": f"{amount:,.2f}"} + _note(note)

    return _run(actor=actor, settlement_id=settlement_id, step="amount", label=_("确认放款金额"), check=check,
                after=lambda s: _maybe_compute(s.application, s, actor))


def confirm_client(*, actor, settlement_id: int) -> Settlement:
    """The CM confirms with the client that the money arrived."""
    def check(s):
        if s.application.cm_id != actor.pk:
            raise PermissionDenied("not the CM")
        if s.cm_confirmed_at:
            raise ValidationError(_("已确认客户到账。"))
        s.cm_confirmed_by, s.cm_confirmed_at = actor, clock.now()

    return _run(actor=actor, settlement_id=settlement_id, step="client", label=_("确认客户到账"), check=check,
                text=_("客户经理已与客户确认款项到账"), after=lambda s: _maybe_compute(s.application, s, actor))


def terms_text(s: Settlement) -> str:
    """The terms a settlement applied, in words (the pages and the statement PDF show it)."""
    if s.basis == "fixed":
        figure = f"固定佣金 {s.fixed_amount if s.fixed_amount is not None else s.commission:,.2f} 元"
    else:
        figure = f"费率 {percent_text(s.rate)}"
    source = (f"佣金协议 {s.agreement.number}（{s.agreement.valid_from:%Y-%m-%d} 起"
              + (f"至 {s.agreement.valid_to:%Y-%m-%d}）" if s.agreement.valid_to else "，长期有效）")
              if s.agreement_id else "产品默认条款")
    fee = s.computed_service_fee if s.computed_service_fee is not None else s.service_fee  # issued before 佣金确认
    return f"{source}：{figure}，最低佣金 {s.minimum or 0:,.2f} 元，客户服务费 {fee:,.2f} 元"


def _maybe_compute(app, s: Settlement, actor) -> None:
    """Both confirmations are in: compute the commission from the terms in force on the disbursement date and
    hand it to 跟单员 for 佣金金额确认 (the statement is issued only once the figures are confirmed)."""
    if not (s.of_confirmed_at and s.cm_confirmed_at):
        return
    s.terms_on = s.case.disbursed_on or clock.today()
    terms = commission.terms_for(s.institution_id, app.product, s.terms_on)
    st = commission.compute(s.confirmed_amount, terms)
    s.agreement = terms.agreement
    s.basis, s.rate, s.fixed_amount, s.minimum = terms.basis, terms.rate, terms.fixed, terms.minimum
    s.computed_commission, s.computed_service_fee = st.commission, st.service_fee
    SETTLEMENTS.apply(s, "compute", text=_("按%(terms)s计算：机构佣金 %(c)s 元 + 客户服务费 %(f)s 元，待跟单员确认") % {
        "terms": terms_text(s), "c": f"{st.commission:,.2f}", "f": f"{st.service_fee:,.2f}"})
    message_send(recipients=_clerks(s), category="workflow", link=_link(s),
                 title=_("结算单 %(no)s 的佣金已计算（%(t)s 元），请确认佣金金额") % {"no": s.number, "t": f"{st.total:,.2f}"})


def commission_confirm(*, actor, settlement_id: int) -> Settlement:
    """佣金金额确认: 跟单员 confirms the computed commission and service fee; the statement is issued."""
    def check(s):
        _no_pending_adjustment(s)
        s.commission_confirmed_by, s.commission_confirmed_at = actor, clock.now()
        _log(s, _("跟单员确认佣金金额：机构佣金 %(c)s 元 + 客户服务费 %(f)s 元") % {
            "c": f"{s.computed_commission:,.2f}", "f": f"{s.computed_service_fee:,.2f}"}, actor)
        _statement_figures(s, s.computed_commission, s.computed_service_fee)

    return _run(actor=actor, settlement_id=settlement_id, step="commission", label=_("确认佣金金额"), check=check,
                **_issue(actor))


def _no_pending_adjustment(s: Settlement) -> None:
    if s.adjustments.filter(status=CommissionAdjustment.Status.PENDING).exists():
        raise ValidationError(_("该结算单有待复核的佣金调整，请等待复核结果。"))


def commission_adjust(*, actor, settlement_id: int, commission_amount, service_fee, reason: str
                      ) -> CommissionAdjustment:
    """跟单员 proposes other figures with a reason; a second person (复核佣金调整) approves or rejects them."""
    commission_amount, service_fee, reason = to_money(commission_amount), to_money(service_fee), reason.strip()
    made = {}

    def check(s):
        _no_pending_adjustment(s)
        if not reason:
            raise ValidationError(_("请填写调整原因。"))
        if commission_amount < 0 or service_fee < 0:
            raise ValidationError(_("佣金与服务费不能为负数。"))
        if (commission_amount, service_fee) == (s.computed_commission, s.computed_service_fee):
            raise ValidationError(_("调整后的金额与按条款计算的金额相同，请直接确认佣金金额。"))
        made["adj"] = CommissionAdjustment.objects.create(
            settlement=s, commission=commission_amount, service_fee=service_fee, reason=reason[:300],
            proposed_by=actor, proposed_at=clock.now())
        return _("跟单员申请调整佣金：机构佣金 %(c0)s → %(c1)s 元，客户服务费 %(f0)s → %(f1)s 元（%(r)s），待复核") % {
            "c0": f"{s.computed_commission:,.2f}", "c1": f"{commission_amount:,.2f}",
            "f0": f"{s.computed_service_fee:,.2f}", "f1": f"{service_fee:,.2f}", "r": reason}

    notice = Notice(to=lambda s: _holders("approve_commission").exclude(pk=actor.pk).values_list("pk", flat=True),
                    link=_link, title=lambda s: _("结算单 %(no)s 的佣金调整待复核（%(who)s：%(r)s）") % {
                        "no": s.number, "who": actor.display_name, "r": reason[:40]})
    # a proposal inside 佣金确认: nothing on the settlement changes
    _run(actor=actor, settlement_id=settlement_id, step="commission", label=_("调整佣金金额"), method=None,
         expect=[S.COMMISSION], check=check, notify=[notice], save=False)
    return made["adj"]


def commission_decide(*, actor, settlement_id: int, approve: bool, note: str = "") -> CommissionAdjustment:
    """The second person decides the pending adjustment: approved, the adjusted figures are confirmed and the
    statement is issued; rejected (with a reason), the 跟单员 confirms the computed figures or proposes again.
    Nobody approves their own adjustment."""
    note = note.strip()
    found = {}

    def check(s):
        adj = s.adjustments.select_for_update().filter(status=CommissionAdjustment.Status.PENDING).first()
        if adj is None:
            raise ValidationError(_("没有待复核的佣金调整（可能已被他人处理），请刷新页面。"))
        if adj.proposed_by_id == actor.pk:
            raise ValidationError(_("不能复核自己提出的佣金调整，请由另一位有复核权限的同事处理。"))
        if not approve and not note:
            raise ValidationError(_("驳回时请填写复核意见。"))
        adj.status = CommissionAdjustment.Status.APPROVED if approve else CommissionAdjustment.Status.REJECTED
        adj.decided_by, adj.decided_at, adj.decision_note = actor, clock.now(), note[:300]
        adj.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        found["adj"] = adj
        if not approve:
            return _("佣金调整被驳回：%(n)s") % {"n": note}
        s.commission_confirmed_by, s.commission_confirmed_at = adj.proposed_by, adj.decided_at
        _log(s, _("佣金调整复核通过%(n)s（调整人 %(who)s）") % {"n": ("：" + note) if note else "",
                                                           "who": adj.proposed_by.display_name}, actor)
        _statement_figures(s, adj.commission, adj.service_fee)

    if approve:
        _run(actor=actor, settlement_id=settlement_id, step="decide", label=_("复核佣金调整"), check=check,
             **_issue(actor))
    else:
        _run(actor=actor, settlement_id=settlement_id, step="decide", label=_("复核佣金调整"), method=None,
             expect=[S.COMMISSION], check=check, save=False,
             notify=[Notice(to=lambda s: [found["adj"].proposed_by_id], link=_link,
                            title=lambda s: _("结算单 %(no)s 的佣金调整被驳回：%(n)s") % {"no": s.number, "n": note[:60]})])
    return found["adj"]


def _statement_figures(s: Settlement, commission_amount, service_fee) -> None:
    """The statement's confirmed figures and its due date."""
    now = clock.now()
    s.commission, s.service_fee, s.total = commission_amount, service_fee, commission_amount + service_fee
    s.statement_at = now
    s.due_date = clock.local_date(now) + timedelta(days=params_get_many(["settlement.due_days"])["settlement.due_days"])


def _issue(actor) -> dict:
    """The rest of issuing the statement (the figures are set): the application moves to 结算中, the log says
    what is owed by when, and the institution is asked to pay by the due date."""
    def after(s):
        status_apply(s.application, "settle", actor=actor, comment=_(
            "出具结算账单：佣金 %(c)s 元 + 服务费 %(f)s 元，%(d)s 前付清") % {
            "c": f"{s.commission:,.2f}", "f": f"{s.service_fee:,.2f}", "d": f"{s.due_date:%Y-%m-%d}"})

    return dict(method="issue", after=after,
                text=lambda s: _("出账：应付 %(t)s 元，付款期限 %(d)s") % {"t": f"{s.total:,.2f}",
                                                                  "d": f"{s.due_date:%Y-%m-%d}"},
                notify=[Notice(to=lambda s: institution_users(s.institution_id, codename="pay_settlement"),
                               link=_inst_link, title=lambda s: _("结算账单 %(no)s：应付 %(t)s 元，请于 %(d)s 前付清") % {
                                   "no": s.number, "t": f"{s.total:,.2f}", "d": f"{s.due_date:%Y-%m-%d}"})])


# ---- payment ----

def _clerks_told() -> Notice:
    return Notice(to=lambda s: User.objects.filter(
        is_active=True, roles__permissions__codename="confirm_receipt", roles__organization__isnull=True,
    ).values_list("pk", flat=True).distinct(), link=_link,
        title=lambda s: _("结算单 %(no)s 已付款，请确认收款") % {"no": s.number})


@retry_on_conflict
def pay_from_cash(*, actor, settlement_id: int) -> Settlement:
    """The institution pays the statement from its cash account: one ledger entry of exactly the total."""
    def check(s):
        entry = ledger.collect(institution=s.institution, parts={Account.Kind.COMMISSION: s.commission,
                                                                 Account.Kind.SERVICE_FEE: s.service_fee},
                               from_cash=True, memo=_("结算 %(no)s 佣金与服务费（%(o)s）") % {
                                   "no": s.number, "o": s.application.order_no}, user=actor,
                               ref_type="settlement", ref_id=s.pk, key=f"settlement:{s.pk}:cash")
        s.method, s.paid_at, s.paid_by, s.payment_entry = Settlement.Method.LEDGER, clock.now(), actor, entry
        return _("机构从现金账户支付 %(t)s 元") % {"t": f"{s.total:,.2f}"}

    return _run(actor=actor, settlement_id=settlement_id, step="pay", label=_("付款"), check=check,
                notify=[_clerks_told()])


def pay_offline(*, actor, settlement_id: int, bank_reference: str, voucher_path: str) -> Settlement:
    if not bank_reference.strip() or not voucher_path:
        raise ValidationError(_("请填写银行流水号并上传付款凭证。"))

    def check(s):
        s.method, s.paid_at, s.paid_by = Settlement.Method.OFFLINE, clock.now(), actor
        s.bank_reference, s.voucher, s.reject_reason = bank_reference.strip()[:64], voucher_path, ""
        return _("机构线下转账 %(t)s 元，流水号 %(r)s，待结算员确认") % {"t": f"{s.total:,.2f}", "r": s.bank_reference}

    return _run(actor=actor, settlement_id=settlement_id, step="pay", label=_("付款"), check=check,
                notify=[_clerks_told()])


def confirm_receipt(*, actor, settlement_id: int, approve: bool, reason: str = "") -> Settlement:
    """结算员 confirms the money arrived (a bank transfer is booked into the ledger now), or sends an offline
    payment back with a reason (the institution pays again)."""
    reason = reason.strip()
    if not approve:
        def refuse(s):
            if s.method == Settlement.Method.LEDGER:
                raise ValidationError(_("现金账户支付已入账，不能退回。"))
            if not reason:
                raise ValidationError(_("请填写退回原因。"))
            s.reject_reason = reason[:300]

        return _run(actor=actor, settlement_id=settlement_id, step="receipt", label=_("确认收款"),
                    method="reject_payment", check=refuse, text=_("结算员退回付款：%(r)s") % {"r": reason},
                    notify=[Notice(to=lambda s: institution_users(s.institution_id, codename="pay_settlement"),
                                   link=_inst_link, title=lambda s: _("结算单 %(no)s 的付款被退回：%(r)s") % {
                                       "no": s.number, "r": reason})])

    def check(s):
        if s.method == Settlement.Method.OFFLINE:
            s.payment_entry = ledger.collect(
                institution=s.institution, parts={Account.Kind.COMMISSION: s.commission,
                                                  Account.Kind.SERVICE_FEE: s.service_fee},
                from_cash=False, memo=_("结算 %(no)s 线下收款（%(r)s）") % {"no": s.number, "r": s.bank_reference},
                user=actor, ref_type="settlement", ref_id=s.pk, key=f"settlement:{s.pk}:offline")
        s.receipt_by, s.receipt_at = actor, clock.now()

    def after(s):
        FollowUp.objects.filter(settlement=s, done_at__isnull=True).update(done_at=clock.now(), note=_("已收款"))

    return _run(actor=actor, settlement_id=settlement_id, step="receipt", label=_("确认收款"), check=check,
                after=after, text=_("结算员确认收款"),
                notify=[Notice(to=_clerks, link=_link,
                               title=lambda s: _("结算单 %(no)s 已收款，请确认结算完成并恢复机构头寸") % {"no": s.number})])


def release(*, actor, settlement_id: int) -> Settlement:
    """跟单员 confirms: the hold is released (恢复头寸) and the rating window opens."""
    def check(s):
        now = clock.now()
        candidate_release(s.case.candidate, now)
        s.released_by, s.released_at = actor, now
        s.rating_deadline = now + timedelta(days=params_get_many(["settlement.rating_days"])["settlement.rating_days"])

    return _run(actor=actor, settlement_id=settlement_id, step="release", label=_("确认结算完成"), check=check,
                within=stats.collecting, text=_("跟单员确认结算完成，已恢复机构头寸"),
                after=lambda s: status_apply(s.application, "to_rating", actor=actor,
                                             comment=_("结算完成，已恢复机构头寸，待双方互评")),
                notify=[Notice(to=lambda s: institution_users(s.institution_id, codename="rate_platform"),
                               link=_inst_link,
                               title=lambda s: _("结算单 %(no)s 已完成，头寸已恢复，请评价本次合作") % {"no": s.number}),
                        Notice(to=lambda s: _clerks(s) + [s.application.cm_id], link=_link,
                               title=lambda s: _("结算单 %(no)s 待评价机构") % {"no": s.number})])


# ---- ratings ----

RATING_STEP = {Rating.Side.INSTITUTION: "rate_platform", Rating.Side.PLATFORM: "rate_institution"}


def rate(*, actor, settlement_id: int, side: str, stars: int, comment: str = "") -> Rating:
    if side not in RATING_STEP:
        raise ValidationError(_("评价方无效。"))
    if not 1 <= int(stars) <= 5:
        raise ValidationError(_("请选择 1 至 5 星。"))
    made = {}

    def check(s):
        if s.completed_at:
            raise ValidationError(_("互评已结束。"))
        if s.ratings.filter(side=side).exists():
            raise ValidationError(_("已评价，不能重复评价。"))
        made["rating"] = rating = Rating.objects.create(settlement=s, side=side, stars=int(stars),
                                                        comment=comment.strip()[:300], by=actor, at=clock.now())
        return _("%(side)s：%(n)s 星") % {"side": rating.get_side_display(), "n": stars}

    def after(s):
        if s.ratings.count() == 2:
            _complete(s.application, s, _("双方已互评"))

    _run(actor=actor, settlement_id=settlement_id, step=RATING_STEP[side], label=_("评价"), check=check,
         after=after, within=stats.collecting, save=False)
    return made["rating"]


def _complete(app, s: Settlement, why: str) -> None:
    platform = s.ratings.filter(side=Rating.Side.PLATFORM).first()
    if platform is not None:
        stats.record(s.case.candidate.profile_id, rating_sum=platform.stars, rating_count=1)
    s.completed_at = clock.now()
    s.save(update_fields=["completed_at", "updated_at"])
    status_apply(app, "complete", comment=_("案件完成（%(why)s）") % {"why": why})
    _log(s, _("案件完成：%(why)s") % {"why": why})


def ratings_visible_to(s: Settlement) -> bool:
    """Neither side sees the other's rating until both rated or the window closed."""
    return s.completed_at is not None


# ---- the beat sweep: overdue reminders and rating windows ----

def settlements_sweep(*, now=None) -> dict:
    """Overdue statements: level 1 (past due) reminds the institution and creates a 跟单员联系 task; level 2
    (past due + escalate days) reminds again and tells the follower's superior and 业务部. Each level fires
    exactly once (compare-and-set on reminder_level). Rating windows that closed complete their case."""
    now = now or clock.now()
    values = params_get_many(["settlement.escalate_days"])
    today = clock.local_date(now)
    fired = {"reminded": 0, "escalated": 0, "completed": 0}
    levels = [(1, today, "reminded"), (2, today - timedelta(days=values["settlement.escalate_days"]), "escalated")]
    for level, before, key in levels:
        ids = list(Settlement.objects.filter(status=S.STATEMENT, due_date__lt=before, reminder_level=level - 1)
                   .values_list("pk", flat=True)[:500])
        for pk in ids:
            with transaction.atomic():
                if not Settlement.objects.filter(pk=pk, status=S.STATEMENT, reminder_level=level - 1).update(
                        reminder_level=level):
                    continue  # another sweep, or it was paid meanwhile
                s = Settlement.objects.select_related("institution", "application").get(pk=pk)
                _remind(s, level, now)
                fired[key] += 1
    for pk in Settlement.objects.filter(status=S.RELEASED, completed_at__isnull=True,
                                        rating_deadline__lte=now).values_list("pk", flat=True)[:500]:
        with transaction.atomic(), stats.collecting():
            app = Application.objects.select_for_update(of=("self",)).get(
                pk=Settlement.objects.values_list("application_id", flat=True).get(pk=pk))
            s = Settlement.objects.select_for_update(of=("self",)).select_related("case__candidate").get(pk=pk)
            if s.completed_at is None and s.status == S.RELEASED:
                _complete(app, s, _("互评期限已到"))
                fired["completed"] += 1
    return fired


def _remind(s: Settlement, level: int, now) -> None:
    days = (clock.local_date(now) - s.due_date).days
    title = _("结算单 %(no)s 已逾期 %(d)s 天未付款（应付 %(t)s 元），请尽快付款") % {
        "no": s.number, "d": days, "t": f"{s.total:,.2f}"}
    message_send(recipients=institution_users(s.institution_id, codename="pay_settlement"), category="workflow",
                 event="settlement.overdue", link=_inst_link(s), title=title)
    clerks = _clerks(s)
    FollowUp.objects.create(settlement=s, level=level, assignee_id=clerks[0] if clerks else None, created_at=now)
    message_send(recipients=clerks, category="workflow", link=_link(s),
                 title=_("跟单员联系：%(inst)s 的结算单 %(no)s 逾期 %(d)s 天") % {
                     "inst": s.institution.name, "no": s.number, "d": days})
    if level >= 2:
        # the 跟单员's superiors and the institution's 跟单经理
        superiors = list(User.objects.filter(pk__in=clerks, superior__isnull=False).values_list("superior_id",
                                                                                                 flat=True))
        superiors += [s.institution.follower_id] if s.institution.follower_id else []
        dept = list(User.objects.filter(is_active=True, roles__code="business_dept", roles__organization__isnull=True)
                    .values_list("pk", flat=True))
        message_send(recipients=superiors + dept, category="workflow", link=_link(s),
                     title=_("【升级】%(inst)s 的结算单 %(no)s 逾期 %(d)s 天仍未付款") % {
                         "inst": s.institution.name, "no": s.number, "d": days})
    _log(s, _("逾期提醒（第 %(l)s 级）：已逾期 %(d)s 天") % {"l": level, "d": days})


def follow_up_done(*, actor, follow_up_id: int, note: str) -> FollowUp:
    if not note.strip():
        raise ValidationError(_("请填写联系记录。"))
    with transaction.atomic():
        task = FollowUp.objects.select_for_update().filter(pk=follow_up_id, settlement__in=settlements_for_user(
            user=actor)).first()
        if task is None or not actor.has_perm("settlement.follow_up"):
            raise Http404
        if task.done_at:
            raise ValidationError(_("该任务已完成。"))
        task.done_at, task.note = clock.now(), note.strip()[:300]
        task.save()
        _log(task.settlement, _("跟单员联系：%(n)s") % {"n": task.note}, actor)
        return task
