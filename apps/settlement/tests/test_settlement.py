"""Case work and settlement through the services: every step allowed and refused, the money exact, the
hold released once, reminders once per level, the PDF readable."""
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from hypothesis import given, settings as hsettings, strategies as st

from apps.applications.models import Status as AppStatus
from apps.cases import services as cases
from apps.cases.models import Case
from apps.common import clock
from apps.dispatch import services as dispatch
from apps.dispatch.models import Candidate, Profile
from apps.positions.models import Account, Hold
from apps.settlement import commission, services
from apps.settlement.models import FollowUp, Rating, Settlement


@pytest.fixture(autouse=True)
def _clock(clock_reset):
    yield


@pytest.fixture
def chosen(cast, partners, ready_app, fund):
    """chosen() → (partner, case): a case the client chose partner 1 for; partner 2 accepted and lost."""
    def _make():
        ps = partners(2)
        for p in ps:
            fund(p.org, clerk=cast.st, cash="20000")
        app = ready_app()
        d = dispatch.dispatch_start(application_id=app.pk)
        cands = list(Candidate.objects.filter(dispatch=d).order_by("rank"))
        for c in cands:
            user = next(p.user for p in ps if p.org.pk == c.institution_id)
            dispatch.offer_accept(actor=user, candidate_id=c.pk)
        dispatch.client_choose(actor=cast.cm, application_id=app.pk, candidate_id=cands[0].pk)
        partner = next(p for p in ps if p.org.pk == cands[0].institution_id)
        return partner, Case.objects.get(application=app)
    return _make


def disburse(partner, case, amount="50000"):
    cases.case_allocate(actor=partner.user, case_id=case.pk, officer_id=partner.user.pk)
    cases.case_start_review(actor=partner.user, case_id=case.pk)
    cases.case_book_signing(actor=partner.user, case_id=case.pk, at=clock.now(),
                            place="机构营业厅")
    cases.case_record_signing(actor=partner.user, case_id=case.pk, note="客户已签约")
    return cases.case_disburse(actor=partner.user, case_id=case.pk, amount=amount, disbursed_on=clock.today(),
                               contract_no="HT-2026-001", term_months=12, annual_rate="6.5")


def test_whole_path_from_choice_to_completion(cast, chosen, books_balance):
    partner, case = chosen()
    assert case.status == Case.Status.NEW
    with pytest.raises(Http404):  # another institution's case
        cases.case_allocate(actor=cast.b_admin, case_id=case.pk, officer_id=partner.user.pk)
    disburse(partner, case)
    case.refresh_from_db()
    app = case.application
    app.refresh_from_db()
    assert case.status == Case.Status.DISBURSED and app.status == AppStatus.DISBURSED
    profile = Profile.objects.get(institution=partner.org)
    assert (profile.success_count, profile.amount_lent) == (1, Decimal("50000.00"))

    s = Settlement.objects.get(case=case)
    with pytest.raises(PermissionDenied):
        services.confirm_amount(actor=cast.cm, settlement_id=s.pk, amount="50000")
    with pytest.raises(ValidationError, match="不一致"):
        services.confirm_amount(actor=cast.fo, settlement_id=s.pk, amount="49000")
    services.confirm_amount(actor=cast.fo, settlement_id=s.pk, amount="50000")
    with pytest.raises(Http404):  # not this CM's client
        services.confirm_client(actor=cast.cm2, settlement_id=s.pk)
    services.confirm_client(actor=cast.cm, settlement_id=s.pk)
    s.refresh_from_db()
    # 佣金金额确认: computed from the product's defaults, not issued until 跟单员 confirms
    assert (s.status, s.computed_commission, s.agreement, s.statement_at) == ("commission", Decimal("500.00"), None,
                                                                              None)
    app.refresh_from_db()
    assert app.status == AppStatus.DISBURSED
    with pytest.raises(PermissionDenied):  # 跟单经理 approves adjustments, does not confirm
        services.commission_confirm(actor=cast.of, settlement_id=s.pk)
    services.commission_confirm(actor=cast.fo, settlement_id=s.pk)
    s.refresh_from_db()
    app.refresh_from_db()
    assert (s.commission_confirmed_by, app.status) == (cast.fo, AppStatus.SETTLING)
    # test product: rate 1% of 50,000 = 500.00, service fee 0
    assert (s.status, s.commission, s.service_fee, s.total) == ("statement", Decimal("500.00"), Decimal("0.00"),
                                                                Decimal("500.00"))
    cash = Account.objects.get(owner=partner.org, kind="cash")
    before = cash.balance
    services.pay_from_cash(actor=partner.user, settlement_id=s.pk)
    with pytest.raises(ValidationError):  # the second click changes nothing
        services.pay_from_cash(actor=partner.user, settlement_id=s.pk)
    cash.refresh_from_db()
    assert before - cash.balance == Decimal("500.00")
    services.confirm_receipt(actor=cast.st, settlement_id=s.pk, approve=True)
    hold = Hold.objects.get(pk=case.candidate.hold_id)
    assert hold.status == "active"
    services.release(actor=cast.fo, settlement_id=s.pk)
    hold.refresh_from_db()
    assert hold.status == "released"
    assert Profile.objects.get(institution=partner.org).active_cases == 0
    services.rate(actor=partner.user, settlement_id=s.pk, side=Rating.Side.INSTITUTION, stars=5, comment="配合顺畅")
    s.refresh_from_db()
    assert not services.ratings_visible_to(s)
    with pytest.raises(ValidationError):
        services.rate(actor=partner.user, settlement_id=s.pk, side=Rating.Side.INSTITUTION, stars=4)
    services.rate(actor=cast.of, settlement_id=s.pk, side=Rating.Side.PLATFORM, stars=4, comment="放款及时")
    s.refresh_from_db()
    app.refresh_from_db()
    assert services.ratings_visible_to(s) and app.status == AppStatus.COMPLETED
    profile.refresh_from_db()
    assert (profile.rating_sum, profile.rating_count) == (4, 1)
    books_balance()


def test_cannot_lend_goes_back_to_review_and_releases_the_hold(cast, chosen, books_balance):
    partner, case = chosen()
    cases.case_allocate(actor=partner.user, case_id=case.pk, officer_id=partner.user.pk)
    with pytest.raises(ValidationError):
        cases.case_cannot_lend(actor=partner.user, case_id=case.pk, reason="")
    cases.case_cannot_lend(actor=partner.user, case_id=case.pk, reason="客户征信不符合要求")
    case.refresh_from_db()
    case.application.refresh_from_db()
    assert case.status == Case.Status.CANNOT_LEND and case.application.status == AppStatus.LR_REVIEW
    assert Hold.objects.get(pk=case.candidate.hold_id).status == "released"
    profile = Profile.objects.get(institution=partner.org)
    assert (profile.gave_up_count, profile.active_cases) == (1, 0)
    with pytest.raises(ValidationError):  # nothing more on a closed case
        cases.case_start_review(actor=partner.user, case_id=case.pk)
    books_balance()


def test_disbursement_input_is_checked(cast, chosen):
    partner, case = chosen()
    cases.case_allocate(actor=partner.user, case_id=case.pk, officer_id=partner.user.pk)
    cases.case_start_review(actor=partner.user, case_id=case.pk)
    with pytest.raises(ValidationError):  # not signed yet
        cases.case_disburse(actor=partner.user, case_id=case.pk, amount="1000", disbursed_on=clock.today(),
                            contract_no="X", term_months=12, annual_rate="5")
    cases.case_book_signing(actor=partner.user, case_id=case.pk, at=clock.now(), place="门店")
    cases.case_record_signing(actor=partner.user, case_id=case.pk, note="已签")
    for bad in [dict(amount="60000"), dict(annual_rate="48"), dict(contract_no=" "),
                dict(disbursed_on=clock.today() + timedelta(days=1))]:
        kw = dict(amount="1000", disbursed_on=clock.today(), contract_no="HT1", term_months=12, annual_rate="5") | bad
        with pytest.raises(ValidationError):
            cases.case_disburse(actor=partner.user, case_id=case.pk, **kw)
    assert Case.objects.get(pk=case.pk).status == Case.Status.SIGNED


def test_offline_payment_rejected_then_confirmed_books_the_receipt(cast, chosen, books_balance):
    partner, case = chosen()
    disburse(partner, case)
    s = Settlement.objects.get(case=case)
    services.confirm_amount(actor=cast.fo, settlement_id=s.pk, amount="50000")
    services.confirm_client(actor=cast.cm, settlement_id=s.pk)
    services.commission_confirm(actor=cast.fo, settlement_id=s.pk)
    services.pay_offline(actor=partner.user, settlement_id=s.pk, bank_reference="B1", voucher_path="v/1.png")
    with pytest.raises(ValidationError):
        services.confirm_receipt(actor=cast.st, settlement_id=s.pk, approve=False, reason="")
    services.confirm_receipt(actor=cast.st, settlement_id=s.pk, approve=False, reason="凭证金额不符")
    services.pay_offline(actor=partner.user, settlement_id=s.pk, bank_reference="B2", voucher_path="v/2.png")
    services.confirm_receipt(actor=cast.st, settlement_id=s.pk, approve=True)
    income = Account.objects.get(owner=None, kind="commission")
    assert income.balance == Decimal("500.00")
    books_balance()


def test_overdue_reminders_fire_once_per_level(cast, chosen, clock_reset):
    partner, case = chosen()
    disburse(partner, case)
    s = Settlement.objects.get(case=case)
    services.confirm_amount(actor=cast.fo, settlement_id=s.pk, amount="50000")
    services.confirm_client(actor=cast.cm, settlement_id=s.pk)
    services.commission_confirm(actor=cast.fo, settlement_id=s.pk)
    assert services.settlements_sweep()["reminded"] == 0
    clock_reset.shift(timedelta(days=8))
    assert services.settlements_sweep()["reminded"] == 1
    assert services.settlements_sweep()["reminded"] == 0
    assert FollowUp.objects.filter(settlement=s).count() == 1
    clock_reset.shift(timedelta(days=7))
    fired = services.settlements_sweep()
    assert (fired["reminded"], fired["escalated"]) == (0, 1)
    assert services.settlements_sweep()["escalated"] == 0
    assert FollowUp.objects.filter(settlement=s).count() == 2
    from apps.dispatch.health_signals import overdue_settlements

    assert overdue_settlements([partner.org.pk], now=clock_reset.now()) == {partner.org.pk: 1}


def test_rating_window_closes_the_case(cast, chosen, clock_reset):
    partner, case = chosen()
    disburse(partner, case)
    s = Settlement.objects.get(case=case)
    services.confirm_amount(actor=cast.fo, settlement_id=s.pk, amount="50000")
    services.confirm_client(actor=cast.cm, settlement_id=s.pk)
    services.commission_confirm(actor=cast.fo, settlement_id=s.pk)
    services.pay_from_cash(actor=partner.user, settlement_id=s.pk)
    services.confirm_receipt(actor=cast.st, settlement_id=s.pk, approve=True)
    services.release(actor=cast.fo, settlement_id=s.pk)
    services.rate(actor=cast.cm, settlement_id=s.pk, side=Rating.Side.PLATFORM, stars=3)
    clock_reset.shift(timedelta(days=8))
    assert services.settlements_sweep()["completed"] == 1
    assert services.settlements_sweep()["completed"] == 0
    case.application.refresh_from_db()
    assert case.application.status == AppStatus.COMPLETED


def test_statement_pdf_contains_the_figures(cast, chosen):
    from pypdf import PdfReader

    from apps.settlement.pdf import monthly_pdf, statement_pdf

    partner, case = chosen()
    disburse(partner, case)
    s = Settlement.objects.get(case=case)
    services.confirm_amount(actor=cast.fo, settlement_id=s.pk, amount="50000")
    services.confirm_client(actor=cast.cm, settlement_id=s.pk)
    services.commission_confirm(actor=cast.fo, settlement_id=s.pk)
    s.refresh_from_db()
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(statement_pdf(s))).pages)
    for expected in ["结算单", s.number, case.application.order_no, "50,000.00", "500.00", "HT-2026-001",
                     "产品默认条款", "佣金金额确认", "T_FO"]:
        assert expected in text, expected
    # rates as the pages show them: the commission rate through the ``percent`` filter, the loan rate as typed
    assert s.rate == Decimal("0.01") and "放款金额 × 1%" in text and "费率 1%" in text and "× 0.0" not in text
    assert "12 个月 / 6.5%" in text and "6.500" not in text
    today = clock.today()
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(monthly_pdf(partner.org, today.year,
                                                                               today.month))).pages)
    assert s.number in text and "500.00" in text and "第 1 页" in text


@hsettings(max_examples=200, deadline=None)
@given(amount=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999999.99"), places=2),
       rate=st.decimals(min_value=Decimal("0"), max_value=Decimal("0.2"), places=4),
       minimum=st.decimals(min_value=Decimal("0"), max_value=Decimal("5000"), places=2),
       fee=st.decimals(min_value=Decimal("0"), max_value=Decimal("5000"), places=2))
def test_commission_arithmetic_properties(amount, rate, minimum, fee):
    out = commission.compute(amount, commission.Terms("rate", rate, None, minimum, fee))
    assert out.commission == out.commission.quantize(Decimal("0.01"))  # always whole fen
    assert out.commission >= minimum
    assert abs(out.commission - max(amount * rate, minimum)) <= Decimal("0.005")
    assert out.total == out.commission + fee
    fixed = commission.compute(amount, commission.Terms("fixed", None, Decimal("888.88"), minimum, fee))
    assert fixed.commission == max(Decimal("888.88"), minimum)


def test_commission_rounds_half_up_to_the_fen():
    terms = commission.Terms("rate", Decimal("0.0125"), None, Decimal("0"), Decimal("0"))
    assert commission.compute(Decimal("100.20"), terms).commission == Decimal("1.25")  # 1.2525
    assert commission.compute(Decimal("100.40"), terms).commission == Decimal("1.26")  # 1.2550 → half up
    terms = commission.Terms("rate", Decimal("0.01"), None, Decimal("300.00"), Decimal("200.00"))
    assert commission.compute(Decimal("10000"), terms).total == Decimal("500.00")  # the minimum applies
