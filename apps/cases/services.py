"""Every write of the institution's case work. Lock order as everywhere: the application row, then the
case; the hold and the institution's statistics go through the dispatch services."""
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _, gettext_lazy

from apps.accounts.models import Organization, User
from apps.applications.models import Application
from apps.applications.services import application_link, reviewers, status_apply
from apps.common import clock
from apps.common.money import to_money
from apps.common.transitions import LogTable, Notice, Workflow
from apps.dispatch import stats
from apps.dispatch.services import candidate_release, institution_users
from apps.messaging.services import message_send
from apps.webhooks import services as webhooks

from . import hooks
from .models import Case, CaseLog
from .selectors import cases_for_user

MAX_ANNUAL_RATE = Decimal("36")


def case_link(case: Case) -> str:
    return reverse("inst:case_detail", args=[case.pk])


def _lock(actor, case_id: int) -> Case:
    """The application row, then the case (the lock order of every case step); the case carries the locked
    application."""
    ref = cases_for_user(user=actor).filter(pk=case_id).values("application_id").first()
    if ref is None:
        raise Http404
    app = Application.objects.select_for_update(of=("self",)).select_related("product").get(pk=ref["application_id"])
    case = Case.objects.select_for_update().get(pk=case_id)
    case.application = app
    return case


def _case_changed(case: Case, old: str) -> None:
    """Every move of a case is a ``case.changed`` webhook event for the institution."""
    webhooks.emit(case.institution_id, "case.changed", {"case_id": case.pk, "order_no": case.application.order_no,
                                                         "status": case.status, "from_status": old})


CASE_LOG = LogTable(CaseLog, "case")
CASES: Workflow[Case] = Workflow(lock=_lock, log=CASE_LOG, send=message_send, on_move=_case_changed,
                                 refused=gettext_lazy("案件当前状态为“%(status)s”，不能%(label)s，请刷新页面。"))


def handles(case: Case, user) -> bool:
    """A handling step (code ``handle_case``) is the case's officer's, or anyone's who allocates cases."""
    return case.officer_id == user.pk or user.has_perm("cases.allocate_case")


def _check_officer(actor, case: Case):
    if not handles(case, actor):
        raise PermissionDenied("not the officer")


def case_open(candidate) -> Case:
    """The dispatch on_chosen hook: the chosen institution gets the case, waiting for allocation."""
    case = Case.objects.create(application_id=candidate.application_id, candidate=candidate,
                               institution_id=candidate.institution_id, unit_id=candidate.institution_id)
    CASE_LOG.write(case, to_status=case.status, text=_("客户选定本机构，待分配"))
    webhooks.emit(case.institution_id, "case.changed", {"case_id": case.pk, "offer_id": candidate.pk, "status": case.status})
    message_send(recipients=institution_users(candidate.institution_id, codename="allocate_case"),
                 category="workflow", link=case_link(case), title=_("新的案件待分配"))
    return case


def case_allocate(*, actor, case_id: int, officer_id: int | None = None, unit_id: int | None = None) -> Case:
    """Allocate to an officer (the unit becomes the officer's) or to a unit (a sub-institution, whose own
    admin allocates further)."""
    def check(case):
        tree = Organization.objects.filter(path__startswith=f"/{case.institution_id}/")
        if officer_id:
            officer = User.objects.filter(pk=officer_id, is_active=True, organization__in=tree).select_related(
                "organization").first()
            if officer is None or not officer.has_perm("cases.handle_case"):
                raise ValidationError(_("请选择本机构有办理权限的在职业务员。"))
            case.officer, case.unit = officer, officer.organization
            return _("分配给 %(who)s（%(unit)s）") % {"who": officer.display_name, "unit": officer.organization.name}
        if unit_id:
            unit = tree.filter(pk=unit_id, is_active=True).first()
            if unit is None:
                raise ValidationError(_("请选择本机构或下级机构。"))
            case.unit, case.officer = unit, None
            return _("分配给 %(unit)s") % {"unit": unit.name}
        raise ValidationError(_("请选择业务员或下级机构。"))

    def notices(case):
        if case.officer_id:
            app = case.application
            yield Notice(to=[case.officer_id], link=case_link(case),
                         title=_("新的案件分配给您：%(p)s %(a)s 元") % {"p": app.product.name, "a": f"{app.amount:,.2f}"})

    return CASES.run(actor=actor, pk=case_id, perm="cases.allocate_case", method="allocate", label=_("分配"),
                     check=check, notify=lambda case: list(notices(case)))


def case_start_review(*, actor, case_id: int, note: str = "") -> Case:
    def check(case):
        _check_officer(actor, case)
        case.review_note = note[:300]

    return CASES.run(actor=actor, pk=case_id, perm="cases.handle_case", method="start_review",
                     label=_("开始审核"), check=check, text=note or _("开始审核"))


def case_book_signing(*, actor, case_id: int, at, place: str) -> Case:
    if not place.strip():
        raise ValidationError(_("请填写面签地点。"))

    def check(case):
        _check_officer(actor, case)
        if at < clock.now() - timedelta(days=1):
            raise ValidationError(_("面签时间不能早于今天。"))
        text = _booking_text(case, at, place)
        case.signing_at, case.signing_place = at, place.strip()[:200]
        return text

    return CASES.run(actor=actor, pk=case_id, perm="cases.handle_case", method="book_signing",
                     label=_("预约面签"), check=check)


def _booking_text(case: Case, at, place: str) -> str:
    """The log line of a booking; moving an existing booking says from when to when."""
    def fmt(dt):
        return timezone.localtime(dt).strftime("%Y-%m-%d %H:%M")

    if case.signing_at is None:
        return _("预约面签：%(at)s，%(place)s") % {"at": fmt(at), "place": place.strip()}
    return _("改约面签：%(old)s → %(at)s，%(place)s") % {"old": fmt(case.signing_at), "at": fmt(at),
                                                   "place": place.strip()}


def _signing_not_before_booking(case: Case, now) -> None:
    """A signing is recorded at or after its booked time: one that took place earlier first moves the booking
    (which the case log keeps), so the log never shows a signing before the time the client was booked for."""
    if case.signing_at is not None and now < case.signing_at:
        booked = timezone.localtime(case.signing_at).strftime("%Y-%m-%d %H:%M")
        raise ValidationError(_("预约的面签时间是 %(at)s，还没有到。如面签已提前进行，请先把预约改到实际面签的时间"
                                "（改约会记入案件日志），再记录面签。") % {"at": booked})


def case_record_signing(*, actor, case_id: int, note: str) -> Case:
    """The signing took place and the client signed. (A signing that failed is recorded as cannot lend.)"""
    def check(case):
        _check_officer(actor, case)
        _signing_not_before_booking(case, clock.now())
        case.signing_note, case.signed_at = note.strip()[:300], clock.now()

    return CASES.run(actor=actor, pk=case_id, perm="cases.handle_case", method="sign", label=_("记录面签"),
                     check=check, text=_("面签完成：%(n)s") % {"n": note.strip()})


def case_disburse(*, actor, case_id: int, amount, disbursed_on: date, contract_no: str, term_months: int,
                  annual_rate) -> Case:
    amount = to_money(amount)
    annual_rate = Decimal(str(annual_rate))
    if not contract_no.strip():
        raise ValidationError(_("请填写合同编号。"))
    if not 0 < annual_rate <= MAX_ANNUAL_RATE:
        raise ValidationError(_("年利率应大于 0 且不超过 %(max)s%%。") % {"max": MAX_ANNUAL_RATE})
    if not 1 <= int(term_months) <= 360:
        raise ValidationError(_("贷款期限应在 1 至 360 个月之间。"))

    def check(case):
        app = case.application
        _check_officer(actor, case)
        if not 0 < amount <= app.amount:
            raise ValidationError(_("放款金额应大于 0 且不超过申请金额 %(a)s 元。") % {"a": f"{app.amount:,.2f}"})
        today = clock.today()
        if disbursed_on > today or disbursed_on < clock.local_date(case.created_at):
            raise ValidationError(_("放款日期应在客户选定机构之后且不晚于今天。"))
        case.disbursed_amount, case.disbursed_on = amount, disbursed_on
        case.contract_no, case.term_months, case.annual_rate = contract_no.strip()[:50], int(term_months), annual_rate
        case.disbursed_recorded_at = case.closed_at = clock.now()
        return _("放款 %(a)s 元，合同 %(c)s") % {"a": f"{amount:,.2f}", "c": case.contract_no}

    def after(case):
        status_apply(case.application, "disburse", actor=actor,
                     comment=_("机构已放款 %(a)s 元") % {"a": f"{amount:,.2f}"})
        stats.record(case.candidate.profile_id, success_count=1, amount_lent=amount)
        _disburse_median_refresh(case.candidate.profile_id)
        for hook in hooks.on_disbursed:
            hook(case)

    return CASES.run(actor=actor, pk=case_id, perm="cases.handle_case", method="disburse", label=_("放款"),
                     check=check, after=after, within=stats.collecting)


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
        raise ValidationError(_("请填写无法操作的原因。"))

    def check(case):
        _check_officer(actor, case)
        case.cannot_lend_reason, case.closed_at = reason[:300], clock.now()

    def after(case):
        candidate_release(case.candidate, clock.now())
        stats.record(case.candidate.profile_id, gave_up_count=1)
        status_apply(case.application, "back_to_review", actor=actor,
                     comment=_("%(inst)s 无法操作：%(r)s。头寸已解冻，回到待贷审审核")
                     % {"inst": case.institution.name, "r": reason})

    def notices(case):
        app = case.application
        return [Notice(to=list(reviewers("review_lr")) + [app.cm_id], link=application_link(app),
                       title=_("贷款申请 %(no)s：机构无法操作，回到待贷审审核（补充资料、重新审核、再次派发或拒绝）")
                       % {"no": app.order_no})]

    return CASES.run(actor=actor, pk=case_id, perm="cases.handle_case", method="cannot_lend",
                     label=_("标记无法操作"), check=check, after=after, notify=notices, within=stats.collecting,
                     text=_("无法操作：%(r)s") % {"r": reason})
