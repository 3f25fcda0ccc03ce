"""Every write of the institution's case work. Lock order as everywhere: the application row, then the
case; the hold and the institution's statistics go through the dispatch services."""
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.http import Http404
from django.utils import timezone

from apps.accounts.models import Organization, User
from apps.applications.models import Application
from apps.applications.services import reviewers, status_apply
from apps.common import clock
from apps.common.money import to_money
from apps.dispatch import stats
from apps.dispatch.services import candidate_release, institution_users
from apps.messaging.services import message_send
from apps.webhooks import services as webhooks

from . import hooks
from .models import Case, CaseLog
from .selectors import cases_for_user

MAX_ANNUAL_RATE = Decimal("36")


def case_open(candidate) -> Case:
    """The dispatch on_chosen hook: the chosen institution gets the case, waiting for allocation."""
    case = Case.objects.create(application_id=candidate.application_id, candidate=candidate,
                               institution_id=candidate.institution_id, unit_id=candidate.institution_id)
    CaseLog.objects.create(case=case, at=clock.now(), to_status=case.status, text="客户选定本机构，待分配")
    webhooks.emit(case.institution_id, "case.changed", {"case_id": case.pk, "offer_id": candidate.pk, "status": case.status})
    message_send(recipients=institution_users(candidate.institution_id, codename="allocate_case"),
                 category="workflow", link=f"/inst/cases/{case.pk}/", title="新的案件待分配")
    return case


def _lock(actor, case_id: int, perm: str) -> tuple[Application, Case]:
    if not actor.has_perm(perm):
        raise PermissionDenied(perm)
    ref = cases_for_user(user=actor).filter(pk=case_id).values("application_id").first()
    if ref is None:
        raise Http404
    app = Application.objects.select_for_update(of=("self",)).select_related("product").get(pk=ref["application_id"])
    case = Case.objects.select_for_update().get(pk=case_id)
    return app, case


def _move(actor, app, case: Case, method: str, label: str, text: str = "") -> Case:
    action = getattr(case, method)
    from django_fsm import can_proceed

    if not can_proceed(action):
        raise ValidationError(f"案件当前状态为“{case.get_status_display()}”，不能{label}，请刷新页面。")
    old = case.status
    action()
    case.save()
    CaseLog.objects.create(case=case, at=clock.now(), actor=actor, from_status=old, to_status=case.status,
                           text=(text or label)[:300])
    webhooks.emit(case.institution_id, "case.changed", {"case_id": case.pk, "order_no": app.order_no, "status": case.status, "from_status": old})
    return case


def _check_officer(actor, case: Case):
    if case.officer_id != actor.pk and not actor.has_perm("cases.allocate_case"):
        raise PermissionDenied("not the officer")


def case_allocate(*, actor, case_id: int, officer_id: int | None = None, unit_id: int | None = None) -> Case:
    """Allocate to an officer (the unit becomes the officer's) or to a unit (a sub-institution, whose own
    admin allocates further)."""
    with transaction.atomic():
        app, case = _lock(actor, case_id, "cases.allocate_case")
        tree = Organization.objects.filter(path__startswith=f"/{case.institution_id}/")
        if officer_id:
            officer = User.objects.filter(pk=officer_id, is_active=True, organization__in=tree).select_related(
                "organization").first()
            if officer is None or not officer.has_perm("cases.handle_case"):
                raise ValidationError("请选择本机构有办理权限的在职业务员。")
            case.officer, case.unit = officer, officer.organization
            text = f"分配给 {officer.display_name}（{officer.organization.name}）"
        elif unit_id:
            unit = tree.filter(pk=unit_id, is_active=True).first()
            if unit is None:
                raise ValidationError("请选择本机构或下级机构。")
            case.unit, case.officer = unit, None
            text = f"分配给 {unit.name}"
        else:
            raise ValidationError("请选择业务员或下级机构。")
        _move(actor, app, case, "allocate", "分配", text)
        if case.officer_id:
            message_send(recipients=[case.officer_id], category="workflow", link=f"/inst/cases/{case.pk}/",
                         title=f"新的案件分配给您：{app.product.name} {app.amount:,.2f} 元")
        return case


def case_start_review(*, actor, case_id: int, note: str = "") -> Case:
    with transaction.atomic():
        app, case = _lock(actor, case_id, "cases.handle_case")
        _check_officer(actor, case)
        case.review_note = note[:300]
        return _move(actor, app, case, "start_review", "开始审核", note or "开始审核")


def case_book_signing(*, actor, case_id: int, at, place: str) -> Case:
    if not place.strip():
        raise ValidationError("请填写面签地点。")
    with transaction.atomic():
        app, case = _lock(actor, case_id, "cases.handle_case")
        _check_officer(actor, case)
        if at < clock.now() - timedelta(days=1):
            raise ValidationError("面签时间不能早于今天。")
        text = _booking_text(case, at, place)
        case.signing_at, case.signing_place = at, place.strip()[:200]
        return _move(actor, app, case, "book_signing", "预约面签", text)


def _booking_text(case: Case, at, place: str) -> str:
    """The log line of a booking; moving an existing booking says from when to when."""
    def fmt(dt):
        return timezone.localtime(dt).strftime("%Y-%m-%d %H:%M")

    if case.signing_at is None:
        return f"预约面签：{fmt(at)}，{place.strip()}"
    return f"改约面签：{fmt(case.signing_at)} → {fmt(at)}，{place.strip()}"


def _signing_not_before_booking(case: Case, now) -> None:
    """A signing is recorded at or after its booked time: one that took place earlier first moves the booking
    (which the case log keeps), so the log never shows a signing before the time the client was booked for."""
    if case.signing_at is not None and now < case.signing_at:
        booked = timezone.localtime(case.signing_at).strftime("%Y-%m-%d %H:%M")
        raise ValidationError(f"预约的面签时间是 {booked}，还没有到。如面签已提前进行，请先把预约改到实际面签的时间"
                              f"（改约会记入案件日志），再记录面签。")


def case_record_signing(*, actor, case_id: int, note: str) -> Case:
    """The signing took place and the client signed. (A signing that failed is recorded as cannot lend.)"""
    with transaction.atomic():
        app, case = _lock(actor, case_id, "cases.handle_case")
        _check_officer(actor, case)
        _signing_not_before_booking(case, clock.now())
        case.signing_note, case.signed_at = note.strip()[:300], clock.now()
        return _move(actor, app, case, "sign", "记录面签", f"面签完成：{note.strip()}")


def case_disburse(*, actor, case_id: int, amount, disbursed_on: date, contract_no: str, term_months: int,
                  annual_rate) -> Case:
    amount = to_money(amount)
    annual_rate = Decimal(str(annual_rate))
    if not contract_no.strip():
        raise ValidationError("请填写合同编号。")
    if not 0 < annual_rate <= MAX_ANNUAL_RATE:
        raise ValidationError(f"年利率应大于 0 且不超过 {MAX_ANNUAL_RATE}%。")
    if not 1 <= int(term_months) <= 360:
        raise ValidationError("贷款期限应在 1 至 360 个月之间。")
    with transaction.atomic(), stats.collecting():
        app, case = _lock(actor, case_id, "cases.handle_case")
        _check_officer(actor, case)
        if not 0 < amount <= app.amount:
            raise ValidationError(f"放款金额应大于 0 且不超过申请金额 {app.amount:,.2f} 元。")
        today = clock.today()
        if disbursed_on > today or disbursed_on < clock.local_date(case.created_at):
            raise ValidationError("放款日期应在客户选定机构之后且不晚于今天。")
        case.disbursed_amount, case.disbursed_on = amount, disbursed_on
        case.contract_no, case.term_months, case.annual_rate = contract_no.strip()[:50], int(term_months), annual_rate
        case.disbursed_recorded_at = case.closed_at = clock.now()
        _move(actor, app, case, "disburse", "放款", f"放款 {amount:,.2f} 元，合同 {case.contract_no}")
        status_apply(app, "disburse", actor=actor, comment=f"机构已放款 {amount:,.2f} 元")
        stats.record(case.candidate.profile_id, success_count=1, amount_lent=amount)
        _disburse_median_refresh(case.candidate.profile_id)
        for hook in hooks.on_disbursed:
            hook(case)
        return case


def _disburse_median_refresh(profile_id: int) -> None:
    """Median time from the client's choice to the disbursement over the institution's last 200 loans."""
    with connection.cursor() as cur:
        cur.execute(
            "UPDATE dispatch_profile SET disburse_median_s = (SELECT percentile_cont(0.5) WITHIN GROUP"
            " (ORDER BY EXTRACT(EPOCH FROM c.disbursed_recorded_at - c.created_at)) FROM (SELECT cc.disbursed_recorded_at,"
            "  cc.created_at FROM cases_case cc JOIN dispatch_candidate d ON d.id = cc.candidate_id"
            "  WHERE d.profile_id = %s AND cc.status = 'disbursed' ORDER BY cc.id DESC LIMIT 200) c) WHERE id = %s",
            [profile_id, profile_id])


def case_cannot_lend(*, actor, case_id: int, reason: str) -> Case:
    """能否操作：否 — the case goes back to 数银's review ("回到待审": 待贷审审核, the institution's reason in the
    history), where 贷审 may ask for a supplement, re-review, pass it (dispatched again at the next cluster
    level, to institutions not tried before) or reject it; the hold is released and the case counts as
    abandoned by the institution."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("请填写无法操作的原因。")
    with transaction.atomic(), stats.collecting():
        app, case = _lock(actor, case_id, "cases.handle_case")
        _check_officer(actor, case)
        case.cannot_lend_reason, case.closed_at = reason[:300], clock.now()
        _move(actor, app, case, "cannot_lend", "标记无法操作", f"无法操作：{reason}")
        candidate_release(case.candidate, clock.now())
        stats.record(case.candidate.profile_id, gave_up_count=1)
        status_apply(app, "back_to_review", actor=actor,
                     comment=f"{case.institution.name} 无法操作：{reason}。头寸已解冻，回到待贷审审核")
        message_send(recipients=list(reviewers("review_lr")) + [app.cm_id], category="workflow",
                     link=f"/ops/applications/{app.pk}/",
                     title=f"贷款申请 {app.order_no}：机构无法操作，回到待贷审审核（补充资料、重新审核、再次派发或拒绝）")
        return case
