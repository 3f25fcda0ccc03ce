"""The institution's case pages: the allowed role works, a wrong role gets 403, another institution's case
404, bad input shows a Chinese error and changes nothing, and the list's query count is fixed. State is
set up through the services (the chosen-case fixture of the settlement tests)."""
from datetime import timedelta

import pytest

from apps.accounts.services import institution_role, user_create
from apps.applications.models import Status as AppStatus
from apps.cases import services
from apps.cases.models import Case
from apps.common import clock
from apps.dispatch import services as dispatch
from apps.dispatch.models import Candidate
from apps.positions.models import Hold
from apps.settlement.models import Settlement
from apps.settlement.tests.test_settlement import chosen  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock(clock_reset):
    yield


def staff(org, role, username):
    from conftest import PASSWORD

    return user_create(username=username, password=PASSWORD, real_name=username.upper(), organization=org,
                       roles=[institution_role(org, role)])


def page(resp) -> str:
    return resp.content.decode()


def url(case, step=""):
    return f"/inst/cases/{case.pk}/{step}"


def status(case) -> str:
    return Case.objects.get(pk=case.pk).status


def local(dt) -> str:
    """A datetime as the browser's datetime-local input sends it."""
    from django.utils import timezone

    return timezone.localtime(dt).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def own_cases(cast, partners, ready_app):
    """own_cases(n) → (partner, [n cases]) all chosen for the same single institution."""
    def _make(n):
        p = partners(1)[0]
        out = []
        for _ in range(n):
            app = ready_app()
            d = dispatch.dispatch_start(application_id=app.pk)
            cand = Candidate.objects.get(dispatch=d)
            dispatch.offer_accept(actor=p.user, candidate_id=cand.pk)
            dispatch.client_choose(actor=cast.cm, application_id=app.pk, candidate_id=cand.pk)
            out.append(Case.objects.get(candidate=cand))
        return p, out
    return _make


# ---- the list ----

def test_list_shows_the_institutions_cases_with_real_name_and_masked_mobile(client, login, chosen):
    partner, case = chosen()
    member = case.application.member
    login(partner.user)
    html = page(client.get("/inst/cases/"))
    assert case.application.order_no in html and member.real_name in html and "测试信用贷" in html
    assert "¥50,000.00" in html and "待分配" in html and partner.org.name in html
    assert member.mobile[:3] + "****" + member.mobile[-4:] in html and member.mobile not in html
    assert case.application.order_no not in page(client.get("/inst/cases/?status=disbursed"))
    assert case.application.order_no in page(client.get("/inst/cases/?status=new"))
    assert case.application.order_no in page(client.get(f"/inst/cases/?q={member.real_name}"))
    assert case.application.order_no not in page(client.get("/inst/cases/?q=不存在的客户"))


def test_list_shows_nothing_of_other_institutions_and_needs_the_inst_area(client, cast, login, chosen):
    partner, case = chosen()
    login(cast.b_admin)
    assert case.application.order_no not in page(client.get("/inst/cases/"))
    client.post("/inst/logout/")
    login(cast.cm)
    assert client.get("/inst/cases/").status_code == 403


@pytest.mark.parametrize("rows", [1, 4])
def test_list_query_count_is_fixed(client, login, own_cases, django_assert_num_queries, rows):
    p, cases = own_cases(rows)
    login(p.user)
    client.get("/inst/cases/")
    with django_assert_num_queries(7):
        html = page(client.get("/inst/cases/?sort=-amount&size=50"))
    assert all(c.application.order_no in html for c in cases)


# ---- the case page ----

def test_detail_shows_the_client_in_full_and_the_log(client, login, chosen):
    partner, case = chosen()
    member = case.application.member
    login(partner.user)
    html = page(client.get(url(case)))
    assert member.real_name in html and member.id_number in html and member.mobile in html
    assert "客户选定本机构，待分配" in html and "经营周转" in html
    assert 'data-testid="allocate"' in html and 'data-testid="review"' not in html
    assert 'data-testid="settlement-link"' not in html
    from apps.members.models import PiiAccess

    assert PiiAccess.objects.filter(member=member, user=partner.user).count() == 1  # the full view is logged


def test_another_institution_gets_404_and_changes_nothing(client, cast, login, chosen):
    partner, case = chosen()
    login(cast.b_admin)
    assert client.get(url(case)).status_code == 404
    resp = client.post(url(case, "allocate/"), {"officer": cast.b_admin.pk})
    assert resp.status_code == 404
    assert client.post(url(case, "cannot-lend/"), {"reason": "篡改"}).status_code == 404
    assert status(case) == Case.Status.NEW


def test_the_whole_case_through_the_pages(client, login, chosen):
    partner, case = chosen()
    login(partner.user)
    resp = client.post(url(case, "allocate/"), {"officer": partner.user.pk}, follow=True)
    assert f"已分配给 {partner.user.display_name}" in page(resp) and status(case) == "allocated"
    resp = client.post(url(case, "review/"), {"note": "资料齐全"}, follow=True)
    assert "已开始审核" in page(resp) and status(case) == "reviewing"
    at = clock.now() - timedelta(minutes=1)
    resp = client.post(url(case, "signing/book/"), {"at": local(at), "place": "南山营业部"}, follow=True)
    assert "已预约面签" in page(resp) and "南山营业部" in page(resp) and status(case) == "signing"
    resp = client.post(url(case, "signing/record/"), {"note": "客户已签约"}, follow=True)
    assert "已记录面签" in page(resp) and status(case) == "signed"
    html = page(client.get(url(case)))
    assert 'value="50000.00"' in html and 'value="12"' in html  # prefilled from the application
    resp = client.post(url(case, "disburse/"), {"amount": "48000", "disbursed_on": clock.today().isoformat(),
                                                "contract_no": "HT-9", "term_months": "12", "annual_rate": "6.5"},
                       follow=True)
    html = page(resp)
    assert "已录入放款 ¥48,000.00" in html and status(case) == "disbursed"
    s = Settlement.objects.get(case=case)
    assert f"/inst/settlements/{s.pk}/" in html and "HT-9" in html and "6.5%" in html
    assert case.application.__class__.objects.get(pk=case.application_id).status == AppStatus.DISBURSED


def test_allocate_offers_only_officers_of_the_tree_and_refuses_others(client, cast, login, chosen):
    partner, case = chosen()
    officer = staff(partner.org, "inst_officer", "p_officer")
    viewer = staff(partner.org, "inst_viewer", "p_viewer")
    login(partner.user)
    html = page(client.get(url(case)))
    assert f'value="{officer.pk}"' in html and f'value="{viewer.pk}"' not in html
    assert f'value="{cast.b_admin.pk}"' not in html
    resp = client.post(url(case, "allocate/"), {"officer": cast.b_admin.pk})
    assert resp.status_code == 200 and "请选择本机构有办理权限的在职业务员" in page(resp)
    resp = client.post(url(case, "allocate/"), {})
    assert "请选择业务员或下级机构" in page(resp)
    assert status(case) == Case.Status.NEW


def test_allocate_to_a_sub_institution(client, login, chosen):
    from apps.accounts.models import Organization
    from apps.accounts.services import organization_create

    partner, case = chosen()
    sub = organization_create(code="t-p-sub", name="合作机构南山支行", kind=Organization.Kind.INSTITUTION,
                              parent=partner.org, region=partner.org.region)
    login(partner.user)
    resp = client.post(url(case, "allocate/"), {"unit": sub.pk}, follow=True)
    assert "已分配给 合作机构南山支行" in page(resp)
    case.refresh_from_db()
    assert (case.status, case.unit_id, case.officer_id) == ("allocated", sub.pk, None)


def test_officer_handles_only_the_cases_allocated_to_them(client, login, chosen):
    partner, case = chosen()
    officer = staff(partner.org, "inst_officer", "p_officer")
    other = staff(partner.org, "inst_officer", "p_officer2")
    services.case_allocate(actor=partner.user, case_id=case.pk, officer_id=officer.pk)
    login(other)
    assert client.get(url(case)).status_code == 404
    assert client.post(url(case, "review/"), {}).status_code == 404
    client.post("/inst/logout/")
    login(officer)
    assert case.application.order_no in page(client.get("/inst/cases/"))
    assert client.post(url(case, "allocate/"), {"officer": officer.pk}).status_code == 403  # not an allocator
    resp = client.post(url(case, "review/"), {}, follow=True)
    assert "已开始审核" in page(resp) and status(case) == "reviewing"


def test_read_only_operator_sees_but_cannot_act(client, login, chosen):
    partner, case = chosen()
    viewer = staff(partner.org, "inst_viewer", "p_viewer")
    login(viewer)
    html = page(client.get(url(case)))
    assert case.application.order_no in html and 'data-testid="steps"' not in html
    for step in ("allocate/", "review/", "signing/book/", "signing/record/", "disburse/", "cannot-lend/"):
        assert client.post(url(case, step), {"officer": partner.user.pk, "reason": "x"}).status_code == 403, step
    assert status(case) == Case.Status.NEW


def test_bad_input_shows_a_chinese_error_keeps_the_values_and_changes_nothing(client, login, chosen):
    partner, case = chosen()
    services.case_allocate(actor=partner.user, case_id=case.pk, officer_id=partner.user.pk)
    services.case_start_review(actor=partner.user, case_id=case.pk)
    login(partner.user)
    resp = client.post(url(case, "signing/book/"), {"at": local(clock.now() - timedelta(days=3)), "place": "门店"})
    assert "面签时间不能早于今天" in page(resp) and status(case) == "reviewing"
    resp = client.post(url(case, "signing/book/"), {"at": "明天", "place": ""})
    assert "请选择正确的面签日期和时间" in page(resp) and "此项为必填项" in page(resp)
    services.case_book_signing(actor=partner.user, case_id=case.pk, at=clock.now(), place="门店")
    services.case_record_signing(actor=partner.user, case_id=case.pk, note="已签")
    resp = client.post(url(case, "disburse/"), {"amount": "60000", "disbursed_on": clock.today().isoformat(),
                                                "contract_no": "HT-KEEP", "term_months": "12", "annual_rate": "6"})
    html = page(resp)
    assert "放款金额应大于 0 且不超过申请金额 50,000.00 元" in html and 'value="HT-KEEP"' in html
    resp = client.post(url(case, "disburse/"), {"amount": "1000", "disbursed_on": clock.today().isoformat(),
                                                "contract_no": "HT", "term_months": "12", "annual_rate": "48"})
    assert "年利率应大于 0 且不超过 36%" in page(resp)
    resp = client.post(url(case, "cannot-lend/"), {"reason": ""})
    assert "此项为必填项" in page(resp)
    assert status(case) == Case.Status.SIGNED and not Settlement.objects.exists()


def test_a_step_that_is_no_longer_open_says_why(client, login, chosen):
    partner, case = chosen()
    services.case_allocate(actor=partner.user, case_id=case.pk, officer_id=partner.user.pk)
    login(partner.user)
    client.post(url(case, "review/"), {})
    resp = client.post(url(case, "review/"), {})  # a second click, or a second tab
    assert "案件当前状态为“机构审核”，不能开始审核" in page(resp) and status(case) == "reviewing"


def test_cannot_lend_sends_the_case_back_and_releases_the_hold(client, login, chosen, books_balance):
    partner, case = chosen()
    login(partner.user)
    html = page(client.get(url(case)))
    assert "将解冻" in html and "¥1,000.00" in html  # the confirm dialog says what happens
    resp = client.post(url(case, "cannot-lend/"), {"reason": "客户征信不符合要求"}, follow=True)
    html = page(resp)
    assert "已标记为无法操作" in html and "客户征信不符合要求" in html and 'data-testid="steps"' not in html
    case.refresh_from_db()
    assert case.status == Case.Status.CANNOT_LEND and case.application.status == AppStatus.LR_REVIEW
    assert Hold.objects.get(pk=case.candidate.hold_id).status == "released"
    books_balance()


def test_signing_before_the_booked_time_must_move_the_booking_first(client, login, chosen):
    """Booked for 10:00, the officer records the signing at 04:59: refused with what to do, nothing changes; after
    moving the booking (the log says from when to when) the signing is recorded."""
    from django.utils import timezone

    from apps.cases.models import CaseLog

    partner, case = chosen()
    services.case_allocate(actor=partner.user, case_id=case.pk, officer_id=partner.user.pk)
    services.case_start_review(actor=partner.user, case_id=case.pk)
    today = timezone.localtime(clock.now())
    clock.shift(today.replace(hour=4, minute=59, second=0, microsecond=0) - today)  # 04:59 Beijing time, today
    booked = timezone.localtime(clock.now()).replace(hour=10, minute=0)
    services.case_book_signing(actor=partner.user, case_id=case.pk, at=booked, place="南山营业部")
    login(partner.user)
    resp = client.post(url(case, "signing/record/"), {"note": "客户已签约"})
    assert f"预约的面签时间是 {booked:%Y-%m-%d} 10:00，还没有到" in page(resp) and "请先把预约改到实际面签的时间" in page(resp)
    assert status(case) == "signing" and Case.objects.get(pk=case.pk).signed_at is None
    early = timezone.localtime(clock.now()).replace(hour=4, minute=30)
    resp = client.post(url(case, "signing/book/"), {"at": local(early), "place": "南山营业部"}, follow=True)
    assert "已预约面签" in page(resp)
    assert CaseLog.objects.filter(case=case, text__startswith=f"改约面签：{booked:%Y-%m-%d} 10:00 → {booked:%Y-%m-%d} 04:30").exists()
    resp = client.post(url(case, "signing/record/"), {"note": "客户已签约"}, follow=True)
    assert "已记录面签" in page(resp) and status(case) == "signed"
    case.refresh_from_db()
    assert case.signing_at <= case.signed_at
