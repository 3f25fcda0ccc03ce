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
from apps.common.params import params_get_many
from apps.dispatch import stats
from apps.dispatch.services import candidate_release, institution_users
from apps.messaging.services import message_send
from apps.positions import services as ledger
from apps.positions.models import Account

from . import commission
from .models import FollowUp, Rating, Settlement, SettlementLog
from .selectors import settlements_for_user

S = Settlement.Status


def _log(s: Settlement, text: str, actor=None) -> None:
    SettlementLog.objects.create(settlement=s, at=clock.now(), actor=actor, text=text[:300])


def _followers(s: Settlement):
    """The institution's 跟单经理, or every active 跟单 when none is assigned."""
    follower = s.institution.follower_id
    if follower:
        return [follower]
    return list(User.objects.filter(is_active=True, roles__code="of", roles__organization__isnull=True)
                .values_list("pk", flat=True))


def _link(s: Settlement) -> str:
    return f"/ops/settlements/{s.pk}/"


def settlement_open(case) -> Settlement:
    """The cases on_disbursed hook: a settlement waiting for 跟单 and the CM to confirm the amount."""
    s = Settlement.objects.create(case=case, application_id=case.application_id, institution_id=case.institution_id,
                                  disbursed_amount=case.disbursed_amount)
    _log(s, f"机构录入放款 {case.disbursed_amount:,.2f} 元，待跟单确认金额、客户经理确认到账")
    message_send(recipients=_followers(s) + [case.application.cm_id], category="workflow", link=_link(s),
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
    """跟单 confirms the disbursed amount with the institution (a different figure needs a note)."""
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
        _log(s, f"跟单确认放款金额 {amount:,.2f} 元" + (f"（{note.strip()}）" if note.strip() else ""), actor)
        _maybe_issue(app, s, actor)
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
        _maybe_issue(app, s, actor)
        return s


def _maybe_issue(app, s: Settlement, actor) -> None:
    if not (s.of_confirmed_at and s.cm_confirmed_at):
        return
    terms = commission.terms_for(s.institution_id, app.product)
    st = commission.compute(s.confirmed_amount, terms)
    now = clock.now()
    s.basis, s.rate, s.minimum = terms.basis, terms.rate, terms.minimum
    s.commission, s.service_fee, s.total = st.commission, st.service_fee, st.total
    s.statement_at = now
    s.due_date = clock.local_date(now) + timedelta(days=params_get_many(["settlement.due_days"])["settlement.due_days"])
    s.issue()
    s.save()
    status_apply(app, "settle", actor=actor, comment=f"出具结算账单：佣金 {st.commission:,.2f} 元 + 服务费 "
                                                     f"{st.service_fee:,.2f} 元，{s.due_date:%Y-%m-%d} 前付清")
    _log(s, f"出账：应付 {st.total:,.2f} 元，付款期限 {s.due_date:%Y-%m-%d}", actor)
    message_send(recipients=institution_users(s.institution_id, codename="pay_settlement"), category="workflow",
                 link=f"/inst/settlements/{s.pk}/",
                 title=f"结算账单 {s.number}：应付 {st.total:,.2f} 元，请于 {s.due_date:%Y-%m-%d} 前付清")


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
        message_send(recipients=_followers(s), category="workflow", link=_link(s),
                     title=f"结算单 {s.number} 已收款，请确认结算完成并恢复机构头寸")
        return s


def release(*, actor, settlement_id: int) -> Settlement:
    """跟单 confirms: the hold is released (恢复头寸) and the rating window opens."""
    with transaction.atomic(), stats.collecting():
        app, s = _lock(actor, settlement_id, "settlement.confirm_amount")
        _expect(s, S.CONFIRMED, label="确认结算完成")
        now = clock.now()
        candidate_release(s.case.candidate, now)
        s.release()
        s.released_by, s.released_at = actor, now
        s.rating_deadline = now + timedelta(days=params_get_many(["settlement.rating_days"])["settlement.rating_days"])
        s.save()
        status_apply(app, "to_rating", actor=actor, comment="结算完成，已恢复机构头寸，待双方互评")
        _log(s, "跟单确认结算完成，已恢复机构头寸", actor)
        message_send(recipients=institution_users(s.institution_id, codename="rate_platform"), category="workflow",
                     link=f"/inst/settlements/{s.pk}/", title=f"结算单 {s.number} 已完成，头寸已恢复，请评价本次合作")
        message_send(recipients=_followers(s) + [app.cm_id], category="workflow", link=_link(s),
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
                 link=f"/inst/settlements/{s.pk}/", title=title)
    followers = _followers(s)
    FollowUp.objects.create(settlement=s, level=level, assignee_id=followers[0] if followers else None,
                            created_at=now)
    message_send(recipients=followers, category="workflow", link=_link(s),
                 title=f"跟单员联系：{s.institution.name} 的结算单 {s.number} 逾期 {days} 天")
    if level >= 2:
        superiors = list(User.objects.filter(pk__in=followers, superior__isnull=False).values_list("superior_id",
                                                                                                    flat=True))
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
        if task is None or not actor.has_perm("settlement.confirm_amount"):
            raise Http404
        if task.done_at:
            raise ValidationError("该任务已完成。")
        task.done_at, task.note = clock.now(), note.strip()[:300]
        task.save()
        _log(task.settlement, f"跟单员联系：{task.note}", actor)
        return task
