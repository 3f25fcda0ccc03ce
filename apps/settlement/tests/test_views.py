"""The settlement pages, institution and 数银 side: each role's step works, a wrong role gets 403, another
institution's settlement 404, bad input shows a Chinese error and changes nothing, the lists' query counts
are fixed and the PDFs carry the figures. State is set up through the services."""
import io
from types import SimpleNamespace
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.applications.models import Status as AppStatus
from apps.cases.tests.test_views import own_cases, staff  # noqa: F401 (fixture)
from apps.positions.models import Account, Hold
from apps.settlement import services
from apps.settlement.models import FollowUp, Rating, Settlement
from apps.settlement.tests.test_settlement import chosen, disburse  # noqa: F401 (fixture)
from tests.fixtures.files import PNG

pytestmark = pytest.mark.django_db
STAGES = ["confirming", "commission", "statement", "paid", "confirmed", "released"]


@pytest.fixture(autouse=True)
def _clock(clock_reset):
    yield


def page(resp) -> str:
    return resp.content.decode()


def pdf_text(content: bytes) -> str:
    from pypdf import PdfReader

    return "".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)


def advance(cast, partner, s, stage: str) -> Settlement:
    """Take a settlement through the services up to ``stage`` (paid: from the cash account)."""
    steps = [lambda: None,
             lambda: (services.confirm_amount(actor=cast.fo, settlement_id=s.pk, amount=s.disbursed_amount),
                      services.confirm_client(actor=cast.cm, settlement_id=s.pk)),
             lambda: services.commission_confirm(actor=cast.fo, settlement_id=s.pk),
             lambda: services.pay_from_cash(actor=partner.user, settlement_id=s.pk),
             lambda: services.confirm_receipt(actor=cast.st, settlement_id=s.pk, approve=True),
             lambda: services.release(actor=cast.fo, settlement_id=s.pk)]
    for step in steps[:STAGES.index(stage) + 1]:
        step()
    s.refresh_from_db()
    return s


def disburse_at_the_other_institution(cast, partner, ready_app):
    """A second case, disbursed by the institution that lost the first one (the other of ``chosen``'s two)."""
    from apps.accounts.models import User
    from apps.cases.models import Case
    from apps.dispatch import services as dispatch
    from apps.dispatch.models import Candidate

    app = ready_app()
    cands = list(Candidate.objects.filter(dispatch=dispatch.dispatch_start(application_id=app.pk)))
    users = {c.pk: User.objects.get(organization_id=c.institution_id) for c in cands}
    for c in cands:
        dispatch.offer_accept(actor=users[c.pk], candidate_id=c.pk)
    cand = next(c for c in cands if c.institution_id != partner.org.pk)
    dispatch.client_choose(actor=cast.cm, application_id=app.pk, candidate_id=cand.pk)
    disburse(SimpleNamespace(user=users[cand.pk]), Case.objects.get(candidate=cand))
    return Case.objects.get(candidate=cand)


@pytest.fixture
def settled(cast, chosen, fund):
    """settled(stage) → (partner, settlement) of a 50,000 loan (statement: 1% = ¥500.00), the institution
    holding ¥20,000 cash."""
    def _make(stage="confirming"):
        partner, case = chosen()
        disburse(partner, case)
        return partner, advance(cast, partner, Settlement.objects.get(case=case), stage)
    return _make


def inst(s, step=""):
    return f"/inst/settlements/{s.pk}/{step}"


def ops(s, step=""):
    return f"/ops/settlements/{s.pk}/{step}"


def fresh(s) -> Settlement:
    return Settlement.objects.get(pk=s.pk)


# ---- lists ----

def test_institution_list_shows_its_settlements_and_highlights_overdue(client, cast, login, settled, clock_reset):
    partner, s = settled("statement")
    login(partner.user)
    html = page(client.get("/inst/settlements/"))
    assert s.number in html and s.application.order_no in html and "¥500.00" in html and "已出账单" in html
    assert 'data-testid="overdue"' not in html
    clock_reset.shift(timedelta(days=9))
    html = page(client.get("/inst/settlements/"))
    assert "逾期 2 天" in html and "table-danger" in html
    assert s.number not in page(client.get("/inst/settlements/?status=paid"))
    client.post("/inst/logout/")
    login(cast.b_admin)
    assert s.number not in page(client.get("/inst/settlements/"))


def test_ops_list_filters_by_status_institution_and_overdue(client, cast, login, settled, ready_app, clock_reset):
    partner, s = settled("statement")
    other = Settlement.objects.get(case=disburse_at_the_other_institution(cast, partner, ready_app))
    login(cast.of)
    html = page(client.get("/ops/settlements/"))
    assert s.number in html and other.number in html and partner.org.name in html
    html = page(client.get(f"/ops/settlements/?institution={partner.org.pk}"))
    assert s.number in html and other.number not in html
    assert s.number not in page(client.get("/ops/settlements/?overdue=on"))
    clock_reset.shift(timedelta(days=8))
    html = page(client.get("/ops/settlements/?overdue=on"))
    assert s.number in html and other.number not in html and "逾期 1 天" in html
    html = page(client.get("/ops/settlements/?status=confirming"))
    assert other.number in html and s.number not in html
    assert s.number in page(client.get(f"/ops/settlements/?q={s.number}"))


def test_lists_need_the_right_area_and_scope(client, cast, login, settled):
    partner, s = settled()
    login(cast.cm2)  # another team's CM: not their client
    assert s.number not in page(client.get("/ops/settlements/"))
    assert client.get(ops(s)).status_code == 404
    client.post("/ops/logout/")
    login(cast.cs)  # 客服 has no settlement code
    assert client.get("/ops/settlements/").status_code == 403 and client.get(ops(s)).status_code == 403
    client.post("/ops/logout/")
    login(partner.user)
    assert client.get("/ops/settlements/").status_code == 403
    assert client.get("/ops/follow-ups/").status_code == 403


@pytest.mark.parametrize("rows", [1, 3])
def test_list_query_counts_are_fixed(client, cast, login, own_cases, django_assert_num_queries, rows):
    p, cases = own_cases(rows)
    for case in cases:
        disburse(p, case)
    login(p.user)
    client.get("/inst/settlements/")
    with django_assert_num_queries(7):
        html = page(client.get("/inst/settlements/?sort=-total&size=50"))
    assert html.count('data-testid="settlements"') == 1 and all(c.application.order_no in html for c in cases)
    client.post("/inst/logout/")
    login(cast.of)
    client.get("/ops/settlements/")
    with django_assert_num_queries(5):
        html = page(client.get("/ops/settlements/?sort=due&size=50"))
    assert all(c.application.order_no in html for c in cases)


# ---- 数银: amount, client, receipt, release ----

def test_clerk_confirms_the_amount_and_cm_the_client_then_the_commission_is_computed(client, cast, login, settled):
    partner, s = settled()
    login(cast.fo)
    html = page(client.get(ops(s)))
    assert 'data-testid="confirm-amount"' in html and 'value="50000.00"' in html
    assert 'data-testid="confirm-client"' not in html  # the OF is not the CM
    resp = client.post(ops(s, "confirm-amount/"), {"amount": "49000", "note": ""})
    assert "确认金额与机构录入的 50,000.00 元不一致，请填写说明" in page(resp) and 'value="49000"' in page(resp)
    assert fresh(s).of_confirmed_at is None
    resp = client.post(ops(s, "confirm-amount/"), {"amount": "abc"})
    assert "请输入正确的金额" in page(resp) and fresh(s).of_confirmed_at is None
    resp = client.post(ops(s, "confirm-amount/"), {"amount": "50000", "note": ""}, follow=True)
    assert "已确认放款金额 ¥50,000.00" in page(resp) and fresh(s).confirmed_amount == Decimal("50000")
    client.post("/ops/logout/")
    login(cast.cm)
    resp = client.post(ops(s, "confirm-client/"), follow=True)
    assert "已确认客户到账，佣金已计算（¥500.00），待跟单员确认佣金金额" in page(resp)
    s = fresh(s)
    assert (s.status, s.computed_commission, s.total) == ("commission", Decimal("500.00"), None)
    assert 'data-testid="confirm-commission"' not in page(resp)  # the CM does not confirm the commission
    assert "不能确认客户到账" in page(client.post(ops(s, "confirm-client/"), follow=True))


def test_wrong_roles_get_403_on_the_ops_steps(client, cast, login, settled):
    partner, s = settled("paid")
    login(cast.st)
    assert client.post(ops(s, "confirm-amount/"), {"amount": "50000"}).status_code == 403
    assert client.post(ops(s, "release/")).status_code == 403
    assert client.post(ops(s, "confirm-client/")).status_code == 403
    client.post("/ops/logout/")
    login(cast.of)  # 跟单经理: the 跟单员's steps are not theirs
    assert client.post(ops(s, "receipt/"), {"decision": "approve"}).status_code == 403
    assert client.post(ops(s, "confirm-amount/"), {"amount": "50000"}).status_code == 403
    assert client.post(ops(s, "release/")).status_code == 403
    client.post("/ops/logout/")
    login(cast.cm2)
    assert client.post(ops(s, "confirm-client/")).status_code == 404
    assert fresh(s).status == "paid"


def test_clerk_confirms_receipt_and_order_clerk_releases_the_hold(client, cast, login, settled, books_balance):
    partner, s = settled("paid")
    login(cast.st)
    html = page(client.get(ops(s)))
    assert "现金账户支付" in html and 'data-testid="reject-receipt"' not in html  # a ledger payment is final
    resp = client.post(ops(s, "receipt/"), {"decision": "approve"}, follow=True)
    assert "已确认收款 ¥500.00" in page(resp) and fresh(s).status == "confirmed"
    client.post("/ops/logout/")
    login(cast.fo)
    html = page(client.get(ops(s)))
    assert 'data-testid="release"' in html and "将解冻" in html and "¥1,000.00" in html
    resp = client.post(ops(s, "release/"), follow=True)
    assert "已恢复机构头寸" in page(resp) and fresh(s).status == "released"
    assert Hold.objects.get(pk=s.case.candidate.hold_id).status == "released"
    assert "不能确认结算完成" in page(client.post(ops(s, "release/"), follow=True))
    books_balance()


# ---- the institution pays ----

def test_institution_pays_from_cash_after_a_confirm_dialog(client, cast, login, settled, books_balance):
    partner, s = settled("statement")
    login(partner.user)
    html = page(client.get(inst(s)))
    assert "将从现金账户支付 ¥500.00" in html and "当前现金余额 ¥20,000.00" in html and "支付后余额 ¥19,500.00" in html
    resp = client.post(inst(s, "pay/cash/"), follow=True)
    assert "已从现金账户支付 ¥500.00" in page(resp) and fresh(s).status == "paid"
    assert "不能付款" in page(client.post(inst(s, "pay/cash/"), follow=True))  # a double click pays once
    assert Account.objects.get(owner=partner.org, kind="cash").balance == Decimal("19500.00")
    books_balance()


def test_offline_payment_checks_the_voucher_and_the_clerk_may_send_it_back(client, cast, login, settled, tmp_path):
    partner, s = settled("statement")
    login(partner.user)
    bad = SimpleUploadedFile("v.png", b"not an image", content_type="image/png")
    resp = client.post(inst(s, "pay/offline/"), {"bank_reference": "B-001", "voucher": bad})
    assert "只能上传 PDF、JPG 或 PNG" in page(resp) and 'value="B-001"' in page(resp)
    resp = client.post(inst(s, "pay/offline/"), {"bank_reference": ""})
    assert "请上传付款凭证" in page(resp) and "此项为必填项" in page(resp)
    assert fresh(s).status == "statement" and not list(tmp_path.rglob("settlement-vouchers/*"))
    resp = client.post(inst(s, "pay/offline/"), {"bank_reference": "B-001",
                                                 "voucher": SimpleUploadedFile("v.png", PNG)}, follow=True)
    assert "已提交线下付款（流水号 B-001）" in page(resp) and fresh(s).status == "paid"
    assert client.get(inst(s, "voucher/"))["Content-Type"] == "image/png"
    client.post("/inst/logout/")
    login(cast.st)
    assert client.get(ops(s, "voucher/"))["Content-Type"] == "image/png"
    resp = client.post(ops(s, "receipt/"), {"decision": "reject", "reason": ""})
    assert "此项为必填项" in page(resp) and fresh(s).status == "paid"
    resp = client.post(ops(s, "receipt/"), {"decision": "reject", "reason": "凭证金额不符"}, follow=True)
    assert "已退回付款" in page(resp) and fresh(s).status == "statement"
    client.post("/ops/logout/")
    login(partner.user)
    assert "上次线下付款已被结算员退回" in page(client.get(inst(s))) and "凭证金额不符" in page(client.get(inst(s)))


def test_a_refused_offline_payment_keeps_no_file(client, cast, login, settled, tmp_path):
    partner, s = settled("paid")
    login(partner.user)
    resp = client.post(inst(s, "pay/offline/"), {"bank_reference": "B-2", "voucher": SimpleUploadedFile("v.png", PNG)},
                       follow=True)
    assert "不能付款" in page(resp) and not list(tmp_path.rglob("settlement-vouchers/*"))


def test_other_institution_and_wrong_role_cannot_pay(client, cast, login, settled):
    partner, s = settled("statement")
    login(cast.b_admin)
    assert client.get(inst(s)).status_code == 404
    assert client.post(inst(s, "pay/cash/")).status_code == 404
    assert client.get(inst(s, "statement.pdf")).status_code == 404
    client.post("/inst/logout/")
    viewer = staff(partner.org, "inst_viewer", "p_viewer")
    login(viewer)
    html = page(client.get(inst(s)))
    assert s.number in html and 'data-testid="pay"' not in html
    assert client.post(inst(s, "pay/cash/")).status_code == 403
    assert client.post(inst(s, "pay/offline/"), {"bank_reference": "X"}).status_code == 403
    assert fresh(s).status == "statement"


# ---- ratings ----

def test_both_sides_rate_and_see_each_other_only_when_both_rated(client, cast, login, settled):
    partner, s = settled("released")
    login(partner.user)
    resp = client.post(inst(s, "rate/"), {"stars": "7", "comment": ""})
    assert "请选择 1 至 5 星" in page(resp) and not Rating.objects.exists()
    resp = client.post(inst(s, "rate/"), {"stars": "5", "comment": "跟单很专业"}, follow=True)
    assert "已提交评价（5 星）" in page(resp) and 'data-testid="rate"' not in page(resp)
    client.post("/inst/logout/")
    login(cast.of)
    html = page(client.get(ops(s)))
    assert "跟单很专业" not in html and 'data-testid="rate"' in html
    client.post(ops(s, "rate/"), {"stars": "4", "comment": "放款及时"})
    html = page(client.get(ops(s)))
    assert "跟单很专业" in html and 'data-testid="their-rating"' in html and "已完成" in html
    assert s.application.__class__.objects.get(pk=s.application_id).status == AppStatus.COMPLETED
    client.post("/ops/logout/")
    login(partner.user)
    assert "放款及时" in page(client.get(inst(s)))


def test_rating_needs_the_right_permission(client, cast, login, settled):
    partner, s = settled("released")
    login(cast.st)
    assert client.post(ops(s, "rate/"), {"stars": "3"}).status_code == 403
    client.post("/ops/logout/")
    login(staff(partner.org, "inst_viewer", "p_viewer"))
    assert client.post(inst(s, "rate/"), {"stars": "3"}).status_code == 403
    assert not Rating.objects.exists()


# ---- PDFs ----

def test_statement_pdf_once_issued(client, cast, login, settled):
    partner, s = settled()
    login(partner.user)
    assert client.get(inst(s, "statement.pdf")).status_code == 404
    assert 'data-testid="statement-pdf"' not in page(client.get(inst(s)))
    s = advance(cast, partner, s, "statement")
    resp = client.get(inst(s, "statement.pdf"))
    assert resp["Content-Type"] == "application/pdf" and f"{s.number}.pdf" in resp["Content-Disposition"]
    text = pdf_text(resp.content)
    assert s.number in text and "500.00" in text and "50,000.00" in text
    client.post("/inst/logout/")
    login(cast.st)
    resp = client.get(ops(s, "statement.pdf"))
    assert resp["Content-Type"] == "application/pdf" and "500.00" in pdf_text(resp.content)


def test_monthly_statement_pdf_for_the_whole_institution(client, cast, login, settled, clock_reset):
    partner, s = settled("statement")
    login(partner.user)
    html = page(client.get("/inst/settlements/monthly/"))
    assert "月度对账单" in html and "下载 PDF" in html
    today = clock_reset.now().date()
    resp = client.get(f"/inst/settlements/monthly/?year={today.year}&month={today.month}")
    assert resp["Content-Type"] == "application/pdf"
    text = pdf_text(resp.content)
    assert s.number in text and "500.00" in text
    resp = client.get(f"/inst/settlements/monthly/?year={today.year}&month=13")
    assert resp["Content-Type"].startswith("text/html") and "请选择 1 至 12 月" in page(resp)
    client.post("/inst/logout/")
    login(staff(partner.org, "inst_officer", "p_officer"))  # sees only its own cases: not the whole month
    assert client.get("/inst/settlements/monthly/").status_code == 403
    client.post("/inst/logout/")
    login(cast.b_admin)
    resp = client.get(f"/inst/settlements/monthly/?year={today.year}&month={today.month}")
    assert s.number not in pdf_text(resp.content)


# ---- 跟单员联系 ----

def test_follow_ups_are_listed_and_closed_with_a_note(client, cast, login, settled, clock_reset):
    partner, s = settled("statement")
    clock_reset.shift(timedelta(days=8))
    services.settlements_sweep()
    task = FollowUp.objects.get(settlement=s)
    login(cast.fo)
    html = page(client.get("/ops/follow-ups/"))
    assert s.number in html and partner.org.name in html and "第 1 级" in html and "1 天" in html
    resp = client.post(f"/ops/follow-ups/{task.pk}/done/", {"note": ""}, follow=True)
    assert "请填写联系记录" in page(resp) and FollowUp.objects.get(pk=task.pk).done_at is None
    resp = client.post(f"/ops/follow-ups/{task.pk}/done/", {"note": "已电话联系，周五前付款"}, follow=True)
    assert f"已记录对 {partner.org.name} 的联系" in page(resp)
    assert FollowUp.objects.get(pk=task.pk).note == "已电话联系，周五前付款"
    assert s.number not in page(client.get("/ops/follow-ups/"))
    assert "已电话联系" in page(client.get("/ops/follow-ups/?tab=done"))
    assert client.post("/ops/follow-ups/999999/done/", {"note": "x"}).status_code == 404
    client.post("/ops/logout/")
    login(cast.cm)
    assert client.get("/ops/follow-ups/").status_code == 403
    assert client.post(f"/ops/follow-ups/{task.pk}/done/", {"note": "x"}).status_code == 403


@pytest.mark.parametrize("rows", [1, 3])
def test_follow_up_list_query_count_is_fixed(client, cast, login, own_cases, clock_reset, django_assert_num_queries,
                                             rows):
    p, cases = own_cases(rows)
    for case in cases:
        disburse(p, case)
        advance(cast, p, Settlement.objects.get(case=case), "statement")
    clock_reset.shift(timedelta(days=8))
    services.settlements_sweep()
    login(cast.fo)
    client.get("/ops/follow-ups/")
    with django_assert_num_queries(3):
        html = page(client.get("/ops/follow-ups/?sort=level"))
    assert html.count("/done/") == rows


def test_overdue_days_use_the_due_date():
    from apps.settlement.views import _overdue_days

    s = Settlement(status="statement", due_date=date(2026, 1, 10))
    assert _overdue_days(s, date(2026, 1, 10)) == 0 and _overdue_days(s, date(2026, 1, 13)) == 3
    s.status = "paid"
    assert _overdue_days(s, date(2026, 1, 13)) == 0
