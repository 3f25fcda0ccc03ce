"""Every write of settlement. Lock order: the application row, then the settlement; money goes through the
positions services (idempotency keys per settlement), the hold through dispatch.candidate_release. Each
step re-checks the status under the lock, so a double click or two people at once change it once."""
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404

from apps.accounts.models import User
from apps.applications.models import Application
from apps.applications.services import status_apply
from apps.common import clock
from apps.common.db import retry_on_conflict
from apps.common.money import to_money
from apps.common.numbers import percent_text
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


def _log(s: Settlement, text: str, actor=None) -> None:
    SettlementLog.objects.create(settlement=s, at=clock.now(), actor=actor, text=text[:300])
    webhooks.emit(s.institution_id, "settlement.changed", {"settlement_id": s.pk, "number": s.number, "status": s.status})


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
    return f"/ops/settlements/{s.pk}/"


def settlement_open(case) -> Settlement:
    """The cases on_disbursed hook: a settlement waiting for 跟单 and the CM to confirm the amount."""
    s = Settlement.objects.create(case=case, application_id=case.application_id, institution_id=case.institution_id,
                                  disbursed_amount=case.disbursed_amount)
    _log(s, f"机构录入放款 {case.disbursed_amount:,.2f} 元，待跟单员确认金额、客户经理确认到账")
    message_send(recipients=_clerks(s) + [case.application.cm_id], category="workflow", link=_link(s),
                 title=f"贷款 {case.application.order_no} 已放款，请确认放款金额与客户到账")
    return s


def _lock(actor, settlement_id: int, perm: str) -> tuple[Application, Settlement]:
    if not actor.has_perm(perm):
        raise PermissionDenied(perm)
    ref = settlements_for_user(user=actor).filter(pk=settlement_id).values("application_id").first()
    if ref is None:
        raise Http404
    app = Application.objects.select_for_update(of=("self",)).select_related("product").get(pk=ref["application_id"])
    s = Settlement.objects.select_for_update(of=("self",)).select_related("institution", "case__candidate").get(
        pk=settlement_id)
    return app, s


def _expect(s: Settlement, *statuses, label: str) -> None:
    if s.status not in statuses:
        raise ValidationError(f"结算单当前状态为“{s.get_status_display()}”，不能{label}（可能已被他人处理），请刷新页面。")


# ---- amount confirmation and the statement ----

def confirm_amount(*, actor, settlement_id: int, amount, note: str = "") -> Settlement:
    """跟单员 confirms the disbursed amount with the institution (a different figure needs a note)."""
    amount = to_money(amount)
    with transaction.atomic():
        app, s = _lock(actor, settlement_id, "settlement.confirm_amount")
        _expect(s, S.CONFIRMING, label="确认放款金额")
        if s.of_confirmed_at:
            raise ValidationError("放款金额已确认。")
        if amount <= 0 or amount > app.amount:
            raise ValidationError(f"确认金额应大于 0 且不超过申请金额 {app.amount:,.2f} 元。")
        if amount != s.disbursed_amount and not note.strip():
            raise ValidationError(f"确认金额与机构录入的 {s.disbursed_amount:,.2f} 元不一致，请填写说明。")
        s.confirmed_amount, s.amount_note = amount, note.strip()[:300]
        s.of_confirmed_by, s.of_confirmed_at = actor, clock.now()
        s.save()
        _log(s, f"跟单员确认放款金额 {amount:,.2f} 元" + (f"（{note.strip()}）" if note.strip() else ""), actor)
        _maybe_compute(app, s, actor)
        return s


def confirm_client(*, actor, settlement_id: int) -> Settlement:
    """The CM confirms with the client that the money arrived."""
    with transaction.atomic():
        app, s = _lock(actor, settlement_id, "settlement.confirm_client")
        if app.cm_id != actor.pk:
            raise PermissionDenied("not the CM")
        _expect(s, S.CONFIRMING, label="确认客户到账")
        if s.cm_confirmed_at:
            raise ValidationError("已确认客户到账。")
        s.cm_confirmed_by, s.cm_confirmed_at = actor, clock.now()
        s.save()
        _log(s, "客户经理已与客户确认款项到账", actor)
        _maybe_compute(app, s, actor)
        return s


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
    s.compute()
    s.save()
    _log(s, f"按{terms_text(s)}计算：机构佣金 {st.commission:,.2f} 元 + 客户服务费 {st.service_fee:,.2f} 元，待跟单员确认")
    message_send(recipients=_clerks(s), category="workflow", link=_link(s),
                 title=f"结算单 {s.number} 的佣金已计算（{st.total:,.2f} 元），请确认佣金金额")


def commission_confirm(*, actor, settlement_id: int) -> Settlement:
    """佣金金额确认: 跟单员 confirms the computed commission and service fee; the statement is issued."""
    with transaction.atomic():
        app, s = _lock(actor, settlement_id, "settlement.confirm_commission")
        _expect(s, S.COMMISSION, label="确认佣金金额")
        _no_pending_adjustment(s)
        s.commission_confirmed_by, s.commission_confirmed_at = actor, clock.now()
        _log(s, f"跟单员确认佣金金额：机构佣金 {s.computed_commission:,.2f} 元 + 客户服务费 "
                f"{s.computed_service_fee:,.2f} 元", actor)
        _issue(app, s, actor, s.computed_commission, s.computed_service_fee)
        return s


def _no_pending_adjustment(s: Settlement) -> None:
    if s.adjustments.filter(status=CommissionAdjustment.Status.PENDING).exists():
        raise ValidationError("该结算单有待复核的佣金调整，请等待复核结果。")


def commission_adjust(*, actor, settlement_id: int, commission_amount, service_fee, reason: str
                      ) -> CommissionAdjustment:
    """跟单员 proposes other figures with a reason; a second person (复核佣金调整) approves or rejects them."""
    commission_amount, service_fee, reason = to_money(commission_amount), to_money(service_fee), reason.strip()
    with transaction.atomic():
        app, s = _lock(actor, settlement_id, "settlement.confirm_commission")
        _expect(s, S.COMMISSION, label="调整佣金金额")
        _no_pending_adjustment(s)
        if not reason:
            raise ValidationError("请填写调整原因。")
        if commission_amount < 0 or service_fee < 0:
            raise ValidationError("佣金与服务费不能为负数。")
        if (commission_amount, service_fee) == (s.computed_commission, s.computed_service_fee):
            raise ValidationError("调整后的金额与按条款计算的金额相同，请直接确认佣金金额。")
        adj = CommissionAdjustment.objects.create(settlement=s, commission=commission_amount,
                                                  service_fee=service_fee, reason=reason[:300], proposed_by=actor,
                                                  proposed_at=clock.now())
        _log(s, f"跟单员申请调整佣金：机构佣金 {s.computed_commission:,.2f} → {commission_amount:,.2f} 元，"
                f"客户服务费 {s.computed_service_fee:,.2f} → {service_fee:,.2f} 元（{reason}），待复核", actor)
        approvers = list(_holders("approve_commission").exclude(pk=actor.pk).values_list("pk", flat=True))
        message_send(recipients=approvers, category="workflow", link=_link(s),
                     title=f"结算单 {s.number} 的佣金调整待复核（{actor.display_name}：{reason[:40]}）")
        return adj


def commission_decide(*, actor, settlement_id: int, approve: bool, note: str = "") -> CommissionAdjustment:
    """The second person decides the pending adjustment: approved, the adjusted figures are confirmed and the
    statement is issued; rejected (with a reason), the 跟单员 confirms the computed figures or proposes again.
    Nobody approves their own adjustment."""
    note = note.strip()
    with transaction.atomic():
        app, s = _lock(actor, settlement_id, "settlement.approve_commission")
        _expect(s, S.COMMISSION, label="复核佣金调整")
        adj = s.adjustments.select_for_update().filter(status=CommissionAdjustment.Status.PENDING).first()
        if adj is None:
            raise ValidationError("没有待复核的佣金调整（可能已被他人处理），请刷新页面。")
        if adj.proposed_by_id == actor.pk:
            raise ValidationError("不能复核自己提出的佣金调整，请由另一位有复核权限的同事处理。")
        if not approve and not note:
            raise ValidationError("驳回时请填写复核意见。")
        adj.status = CommissionAdjustment.Status.APPROVED if approve else CommissionAdjustment.Status.REJECTED
        adj.decided_by, adj.decided_at, adj.decision_note = actor, clock.now(), note[:300]
        adj.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        if not approve:
            _log(s, f"佣金调整被驳回：{note}", actor)
            message_send(recipients=[adj.proposed_by_id], category="workflow", link=_link(s),
                         title=f"结算单 {s.number} 的佣金调整被驳回：{note[:60]}")
            return adj
        s.commission_confirmed_by, s.commission_confirmed_at = adj.proposed_by, adj.decided_at
        _log(s, f"佣金调整复核通过{('：' + note) if note else ''}（调整人 {adj.proposed_by.display_name}）", actor)
        _issue(app, s, actor, adj.commission, adj.service_fee)
        return adj


def _issue(app, s: Settlement, actor, commission_amount, service_fee) -> None:
    """Issue the statement with the confirmed figures: the institution is asked to pay by the due date."""
    now = clock.now()
    s.commission, s.service_fee, s.total = commission_amount, service_fee, commission_amount + service_fee
    s.statement_at = now
    s.due_date = clock.local_date(now) + timedelta(days=params_get_many(["settlement.due_days"])["settlement.due_days"])
    s.issue()
    s.save()
    status_apply(app, "settle", actor=actor, comment=f"出具结算账单：佣金 {s.commission:,.2f} 元 + 服务费 "
                                                     f"{s.service_fee:,.2f} 元，{s.due_date:%Y-%m-%d} 前付清")
    _log(s, f"出账：应付 {s.total:,.2f} 元，付款期限 {s.due_date:%Y-%m-%d}", actor)
    message_send(recipients=institution_users(s.institution_id, codename="pay_settlement"), category="workflow",
                 link=f"/inst/settlements/{s.pk}/",
                 title=f"结算账单 {s.number}：应付 {s.total:,.2f} 元，请于 {s.due_date:%Y-%m-%d} 前付清")


# ---- payment ----

@retry_on_conflict
def pay_from_cash(*, actor, settlement_id: int) -> Settlement:
    """The institution pays the statement from its cash account: one ledger entry of exactly the total."""
    with transaction.atomic():
        app, s = _lock(actor, settlement_id, "settlement.pay_settlement")
        _expect(s, S.STATEMENT, label="付款")
        entry = ledger.collect(institution=s.institution, parts={Account.Kind.COMMISSION: s.commission,
                                                                 Account.Kind.SERVICE_FEE: s.service_fee},
                               from_cash=True, memo=f"结算 {s.number} 佣金与服务费（{app.order_no}）", user=actor,
                               ref_type="settlement", ref_id=s.pk, key=f"settlement:{s.pk}:cash")
        s.pay()
        s.method, s.paid_at, s.paid_by, s.payment_entry = Settlement.Method.LEDGER, clock.now(), actor, entry
        s.save()
        _log(s, f"机构从现金账户支付 {s.total:,.2f} 元", actor)
        _notify_clerks(s)
        return s


def pay_offline(*, actor, settlement_id: int, bank_reference: str, voucher_path: str) -> Settlement:
    if not bank_reference.strip() or not voucher_path:
        raise ValidationError("请填写银行流水号并上传付款凭证。")
    with transaction.atomic():
        app, s = _lock(actor, settlement_id, "settlement.pay_settlement")
        _expect(s, S.STATEMENT, label="付款")
        s.pay()
        s.method, s.paid_at, s.paid_by = Settlement.Method.OFFLINE, clock.now(), actor
        s.bank_reference, s.voucher, s.reject_reason = bank_reference.strip()[:64], voucher_path, ""
        s.save()
        _log(s, f"机构线下转账 {s.total:,.2f} 元，流水号 {s.bank_reference}，待结算员确认", actor)
        _notify_clerks(s)
        return s


def _notify_clerks(s: Settlement) -> None:
    clerks = User.objects.filter(is_active=True, roles__permissions__codename="confirm_receipt",
                                 roles__organization__isnull=True).values_list("pk", flat=True).distinct()
    message_send(recipients=clerks, category="workflow", link=_link(s), title=f"结算单 {s.number} 已付款，请确认收款")


def confirm_receipt(*, actor, settlement_id: int, approve: bool, reason: str = "") -> Settlement:
    """结算员 confirms the money arrived (a bank transfer is booked into the ledger now), or sends an offline
    payment back with a reason (the institution pays again)."""
    with transaction.atomic():
        app, s = _lock(actor, settlement_id, "settlement.confirm_receipt")
        _expect(s, S.PAID, label="确认收款")
        if not approve:
            if s.method == Settlement.Method.LEDGER:
                raise ValidationError("现金账户支付已入账，不能退回。")
            if not reason.strip():
                raise ValidationError("请填写退回原因。")
            s.reject_payment()
            s.reject_reason = reason.strip()[:300]
            s.save()
            _log(s, f"结算员退回付款：{reason.strip()}", actor)
            message_send(recipients=institution_users(s.institution_id, codename="pay_settlement"),
                         category="workflow", link=f"/inst/settlements/{s.pk}/",
                         title=f"结算单 {s.number} 的付款被退回：{reason.strip()}")
            return s
        if s.method == Settlement.Method.OFFLINE:
            s.payment_entry = ledger.collect(
                institution=s.institution, parts={Account.Kind.COMMISSION: s.commission,
                                                  Account.Kind.SERVICE_FEE: s.service_fee},
                from_cash=False, memo=f"结算 {s.number} 线下收款（{s.bank_reference}）", user=actor,
                ref_type="settlement", ref_id=s.pk, key=f"settlement:{s.pk}:offline")
        s.confirm_receipt()
        s.receipt_by, s.receipt_at = actor, clock.now()
        s.save()
        FollowUp.objects.filter(settlement=s, done_at__isnull=True).update(done_at=clock.now(), note="已收款")
        _log(s, "结算员确认收款", actor)
        message_send(recipients=_clerks(s), category="workflow", link=_link(s),
                     title=f"结算单 {s.number} 已收款，请确认结算完成并恢复机构头寸")
        return s


def release(*, actor, settlement_id: int) -> Settlement:
    """跟单员 confirms: the hold is released (恢复头寸) and the rating window opens."""
    with transaction.atomic(), stats.collecting():
        app, s = _lock(actor, settlement_id, "settlement.release_hold")
        _expect(s, S.CONFIRMED, label="确认结算完成")
        now = clock.now()
        candidate_release(s.case.candidate, now)
        s.release()
        s.released_by, s.released_at = actor, now
        s.rating_deadline = now + timedelta(days=params_get_many(["settlement.rating_days"])["settlement.rating_days"])
        s.save()
        status_apply(app, "to_rating", actor=actor, comment="结算完成，已恢复机构头寸，待双方互评")
        _log(s, "跟单员确认结算完成，已恢复机构头寸", actor)
        message_send(recipients=institution_users(s.institution_id, codename="rate_platform"), category="workflow",
                     link=f"/inst/settlements/{s.pk}/", title=f"结算单 {s.number} 已完成，头寸已恢复，请评价本次合作")
        message_send(recipients=_clerks(s) + [app.cm_id], category="workflow", link=_link(s),
                     title=f"结算单 {s.number} 待评价机构")
        return s


# ---- ratings ----

def rate(*, actor, settlement_id: int, side: str, stars: int, comment: str = "") -> Rating:
    perm = {Rating.Side.INSTITUTION: "settlement.rate_platform", Rating.Side.PLATFORM: "settlement.rate_institution"}
    if side not in perm:
        raise ValidationError("评价方无效。")
    if not 1 <= int(stars) <= 5:
        raise ValidationError("请选择 1 至 5 星。")
    with transaction.atomic(), stats.collecting():
        app, s = _lock(actor, settlement_id, perm[side])
        _expect(s, S.RELEASED, label="评价")
        if s.completed_at:
            raise ValidationError("互评已结束。")
        if s.ratings.filter(side=side).exists():
            raise ValidationError("已评价，不能重复评价。")
        rating = Rating.objects.create(settlement=s, side=side, stars=int(stars), comment=comment.strip()[:300],
                                       by=actor, at=clock.now())
        _log(s, f"{rating.get_side_display()}：{stars} 星", actor)
        if s.ratings.count() == 2:
            _complete(app, s, "双方已互评")
        return rating


def _complete(app, s: Settlement, why: str) -> None:
    platform = s.ratings.filter(side=Rating.Side.PLATFORM).first()
    if platform is not None:
        stats.record(s.case.candidate.profile_id, rating_sum=platform.stars, rating_count=1)
    s.completed_at = clock.now()
    s.save(update_fields=["completed_at", "updated_at"])
    status_apply(app, "complete", comment=f"案件完成（{why}）")
    _log(s, f"案件完成：{why}")


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
                _complete(app, s, "互评期限已到")
                fired["completed"] += 1
    return fired


def _remind(s: Settlement, level: int, now) -> None:
    days = (clock.local_date(now) - s.due_date).days
    title = f"结算单 {s.number} 已逾期 {days} 天未付款（应付 {s.total:,.2f} 元），请尽快付款"
    message_send(recipients=institution_users(s.institution_id, codename="pay_settlement"), category="workflow",
                 event="settlement.overdue", link=f"/inst/settlements/{s.pk}/", title=title)
    clerks = _clerks(s)
    FollowUp.objects.create(settlement=s, level=level, assignee_id=clerks[0] if clerks else None, created_at=now)
    message_send(recipients=clerks, category="workflow", link=_link(s),
                 title=f"跟单员联系：{s.institution.name} 的结算单 {s.number} 逾期 {days} 天")
    if level >= 2:
        # the 跟单员's superiors and the institution's 跟单经理
        superiors = list(User.objects.filter(pk__in=clerks, superior__isnull=False).values_list("superior_id",
                                                                                                 flat=True))
        superiors += [s.institution.follower_id] if s.institution.follower_id else []
        dept = list(User.objects.filter(is_active=True, roles__code="business_dept", roles__organization__isnull=True)
                    .values_list("pk", flat=True))
        message_send(recipients=superiors + dept, category="workflow", link=_link(s),
                     title=f"【升级】{s.institution.name} 的结算单 {s.number} 逾期 {days} 天仍未付款")
    _log(s, f"逾期提醒（第 {level} 级）：已逾期 {days} 天")


def follow_up_done(*, actor, follow_up_id: int, note: str) -> FollowUp:
    if not note.strip():
        raise ValidationError("请填写联系记录。")
    with transaction.atomic():
        task = FollowUp.objects.select_for_update().filter(pk=follow_up_id, settlement__in=settlements_for_user(
            user=actor)).first()
        if task is None or not actor.has_perm("settlement.follow_up"):
            raise Http404
        if task.done_at:
            raise ValidationError("该任务已完成。")
        task.done_at, task.note = clock.now(), note.strip()[:300]
        task.save()
        _log(task.settlement, f"跟单员联系：{task.note}", actor)
        return task
