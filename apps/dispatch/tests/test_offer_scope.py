"""可受理贷款查询's history follows the data scope of the case pages (issue 16 §9c): a sub-institution's read-only
user does not see a client whose case is not theirs (the offer answers 404 like the case), sees it once the case is
allocated to their unit, and every full view of the client's ID number and mobile is logged."""
import pytest

from apps.accounts.models import Organization
from apps.accounts.services import organization_create
from apps.cases import services as cases
from apps.dispatch.models import Candidate
from apps.members.models import PiiAccess
from apps.settlement.tests.test_settlement import chosen  # noqa: F401 (fixture)

from .test_views import inst_user, page

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock(clock_reset):
    yield


def test_offer_history_follows_the_case_scope_and_full_views_are_logged(client, login, chosen):
    partner, case = chosen()
    member = case.application.member
    cand = Candidate.objects.get(pk=case.candidate_id)
    sub = organization_create(name="南山支行", kind=Organization.Kind.INSTITUTION, parent=partner.org)
    viewer = inst_user(sub, "inst_viewer", "p_sub_viewer")

    login(viewer)
    assert case.application.order_no not in page(client.get("/inst/dispatch/offers/?tab=history"))
    assert client.get(f"/inst/dispatch/offers/{cand.pk}/").status_code == 404
    assert client.get(f"/inst/cases/{case.pk}/").status_code == 404
    assert case.application.order_no not in page(client.get("/inst/reports/market/"))
    assert not PiiAccess.objects.filter(user=viewer).exists()

    cases.case_allocate(actor=partner.user, case_id=case.pk, unit_id=sub.pk)
    assert case.application.order_no in page(client.get("/inst/dispatch/offers/?tab=history"))
    html = page(client.get(f"/inst/dispatch/offers/{cand.pk}/"))
    assert member.id_number in html and member.mobile in html
    assert PiiAccess.objects.filter(user=viewer, member=member, fields="id_number,mobile").count() == 1

    login(partner.user)  # the institution's admin sees the whole history; the full view is logged too
    html = page(client.get(f"/inst/dispatch/offers/{cand.pk}/"))
    assert member.id_number in html
    assert PiiAccess.objects.filter(user=partner.user, member=member).count() == 1


def test_an_officer_keeps_the_offers_they_answered(dispatched_one):
    from apps.dispatch import selectors, services

    ps, cand, officer = dispatched_one
    assert selectors.offers_for_user(user=officer).filter(pk=cand.pk).exists()  # open: every unit sees it
    services.offer_decline(actor=officer, candidate_id=cand.pk, code="busy")
    assert selectors.offers_for_user(user=officer).filter(pk=cand.pk).exists()  # they answered it
    other = inst_user(ps[0].org, "inst_officer", "p_officer2")
    assert not selectors.offers_for_user(user=other).filter(pk=cand.pk).exists()
    assert selectors.offers_for_user(user=ps[0].user).filter(pk=cand.pk).exists()


@pytest.fixture
def dispatched_one(partners, ready_app):
    from apps.dispatch import services

    ps = partners(1)
    app = ready_app()
    d = services.dispatch_start(application_id=app.pk)
    cand = Candidate.objects.get(dispatch=d)
    return ps, cand, inst_user(ps[0].org, "inst_officer", "p_officer1")
