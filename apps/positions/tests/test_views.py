from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from apps.positions import services
from apps.positions.gateway import LocalGateway
from apps.positions.models import Account, Approval, JournalEntry, Recharge

from apps.common.testing import run_threads
from tests.fixtures.files import PNG

K = Account.Kind
pytestmark = pytest.mark.django_db


def test_offline_recharge_voucher_confirm_once(client, cast, login, settings, tmp_path, books_balance):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    login(cast.a_admin)
    resp = client.post("/inst/finance/recharge/", {"method": "offline", "amount": "abc", "bank_reference": "",
                                                    "voucher": SimpleUploadedFile("v.png", PNG)})
    assert "请输入正确的金额" in resp.content.decode() and not Recharge.objects.exists()
    resp = client.post("/inst/finance/recharge/", {"method": "offline", "amount": "5000.00", "bank_reference": "ICBC1",
                                                   "voucher": SimpleUploadedFile("v.png", b"GIF89a....")})
    assert "只能上传 PDF、JPG 或 PNG" in resp.content.decode() and not Recharge.objects.exists()
    resp = client.post("/inst/finance/recharge/", {"method": "offline", "amount": "5000.00", "bank_reference": "ICBC1",
                                                   "voucher": SimpleUploadedFile("v.png", PNG)})
    assert resp.status_code == 302
    r = Recharge.objects.get()
    assert client.get(f"/inst/finance/recharges/{r.pk}/voucher/").status_code == 200
    clerk = Client()
    login(cast.st, c=clerk)
    assert "ICBC1" in clerk.get("/ops/finance/recharges/").content.decode()
    clerk.post(f"/ops/finance/recharges/{r.pk}/decide/", {"decision": "approve"})
    resp = clerk.post(f"/ops/finance/recharges/{r.pk}/decide/", {"decision": "approve"}, follow=True)
    assert "已处理" in resp.content.decode()
    assert services.institution_accounts(cast.inst_a)[K.CASH].balance == Decimal("5000.00")
    assert JournalEntry.objects.filter(kind="recharge").count() == 1
    b = Client()
    login(cast.b_admin, c=b)
    assert b.get(f"/inst/finance/recharges/{r.pk}/voucher/").status_code == 404
    books_balance()


def test_double_submitted_transfer_moves_money_once(client, cast, login, fund, books_balance):
    fund(cast.inst_a, clerk=cast.st, cash="1000")
    login(cast.a_admin)
    page = client.get("/inst/finance/transfer/").content.decode()
    import re

    idem = re.search(r'name="idem" value="([0-9a-f]+)"', page).group(1)
    data = {"transfer": "1", "idem": idem, "direction": "cash>margin", "amount": "300.00"}
    assert client.post("/inst/finance/transfer/", data).status_code == 302
    assert client.post("/inst/finance/transfer/", data).status_code == 302
    accts = services.institution_accounts(cast.inst_a)
    assert accts[K.MARGIN].balance == Decimal("300") and accts[K.CASH].balance == Decimal("700")
    resp = client.post("/inst/finance/transfer/", {**data, "idem": "fresh1", "direction": "margin>cash",
                                                   "amount": "999"})
    assert "可用余额不足" in resp.content.decode()
    books_balance()


def online_order(client, cast, login, amount="800.00"):
    login(cast.a_admin)
    resp = client.post("/inst/finance/recharge/", {"method": "online", "amount": amount})
    assert resp.status_code == 302 and resp["Location"].startswith("/pay/local/?")
    return Recharge.objects.get(method="online"), resp["Location"]


def notice(recharge, txn="LGTXN1", amount=None):
    return LocalGateway().signed({"order_no": recharge.order_no, "txn_id": txn,
                                  "amount": str(amount or recharge.amount), "status": "SUCCESS"})


def test_online_recharge_through_the_gateway(client, cast, login, books_balance, django_capture_on_commit_callbacks):
    recharge, pay_url = online_order(client, cast, login)
    assert "应付 ¥800.00" in client.get(pay_url).content.decode()
    from urllib.parse import parse_qs, urlparse

    fields = {k: v[0] for k, v in parse_qs(urlparse(pay_url).query).items()}
    with django_capture_on_commit_callbacks() as callbacks:
        resp = client.post("/pay/local/", fields)
    assert resp.status_code == 302 and len(callbacks) == 1  # the async notice is queued
    back = client.get(resp["Location"], follow=True)
    assert "已到账" in back.content.decode()
    assert Recharge.objects.get(pk=recharge.pk).status == "credited"
    assert services.institution_accounts(cast.inst_a)[K.CASH].balance == Decimal("800.00")
    books_balance()


def test_notice_replayed_a_thousand_times_credits_once(client, cast, login, books_balance):
    recharge, _ = online_order(client, cast, login)
    data = notice(recharge)
    gateway = Client()
    for _ in range(1000):
        resp = gateway.post("/pay/notify/local/", data)
        assert resp.content == b"success"
    assert JournalEntry.objects.filter(kind="recharge").count() == 1
    assert services.institution_accounts(cast.inst_a)[K.CASH].balance == Decimal("800.00")
    books_balance()


@pytest.mark.parametrize("tamper", ["sign", "amount", "order", "status", "other_txn"])
def test_forged_or_tampered_notices_refused(client, cast, login, tamper, books_balance):
    recharge, _ = online_order(client, cast, login)
    data = notice(recharge)
    if tamper == "sign":
        data["sign"] = "0" * 64
    elif tamper == "amount":
        data = LocalGateway().signed({**data, "amount": "8000.00"})  # validly signed but wrong amount
    elif tamper == "order":
        data["order_no"] = "CZ000"
    elif tamper == "status":
        data = LocalGateway(secret="attacker").signed({**data, "status": "SUCCESS"})
    else:
        Client().post("/pay/notify/local/", data)
        data = notice(recharge, txn="LGTXN2")
    resp = Client().post("/pay/notify/local/", data)
    assert resp.status_code == 400 and resp.content == b"fail"
    credited = Recharge.objects.get(pk=recharge.pk).status == "credited"
    assert credited == (tamper == "other_txn")
    books_balance()


def test_late_notice_for_an_expired_order_is_flagged_not_credited(client, cast, login, books_balance):
    """A payment after the order was closed is not credited silently: the order is flagged for the
    settlement clerk, who credits it by hand (once) or records the refund."""
    from django.utils import timezone

    recharge, _ = online_order(client, cast, login)
    assert services.recharges_expire(now=timezone.now() + timezone.timedelta(hours=2)) == 1
    assert Recharge.objects.get(pk=recharge.pk).status == "expired"
    assert Client().post("/pay/notify/local/", notice(recharge)).content == b"success"
    assert Client().post("/pay/notify/local/", notice(recharge)).content == b"success"  # duplicate: still flagged once
    recharge.refresh_from_db()
    assert recharge.status == "late_paid" and recharge.provider_txn_id == "LGTXN1" and "待退款或人工入账" in recharge.reason
    assert not JournalEntry.objects.filter(kind="recharge").exists()
    clerk = Client()
    login(cast.st, c=clerk)
    assert recharge.order_no in clerk.get("/ops/finance/recharges/?status=late_paid").content.decode()
    resp = clerk.post(f"/ops/finance/recharges/{recharge.pk}/decide/", {"decision": "approve"}, follow=True)
    assert "已确认到账并入账" in resp.content.decode()
    resp = clerk.post(f"/ops/finance/recharges/{recharge.pk}/decide/", {"decision": "reject", "reason": "R1"}, follow=True)
    assert "已处理" in resp.content.decode()
    assert Recharge.objects.get(pk=recharge.pk).status == "credited"
    assert JournalEntry.objects.filter(kind="recharge").count() == 1
    assert services.institution_accounts(cast.inst_a)[K.CASH].balance == Decimal("800.00")
    books_balance()


def test_late_payment_refunded_by_the_clerk_moves_no_money(client, cast, login, books_balance):
    from django.utils import timezone

    recharge, _ = online_order(client, cast, login)
    services.recharges_expire(now=timezone.now() + timezone.timedelta(hours=2))
    Client().post("/pay/notify/local/", notice(recharge))
    clerk = Client()
    login(cast.st, c=clerk)
    resp = clerk.post(f"/ops/finance/recharges/{recharge.pk}/decide/", {"decision": "reject", "reason": ""}, follow=True)
    assert "请填写退款说明" in resp.content.decode()
    resp = clerk.post(f"/ops/finance/recharges/{recharge.pk}/decide/", {"decision": "reject",
                                                                      "reason": "支付宝退款 RF001"}, follow=True)
    assert "已登记退款" in resp.content.decode()
    recharge.refresh_from_db()
    assert recharge.status == "refunded" and recharge.reason == "支付宝退款 RF001"
    assert not JournalEntry.objects.filter(kind="recharge").exists()
    books_balance()


@pytest.mark.django_db(transaction=True)
@pytest.mark.xdist_group("db-threads")  # one at a time: PostgreSQL allows 100 connections
def test_twenty_simultaneous_notices_credit_once(cast, books_balance):
    recharge = services.recharge_online_create(institution=cast.inst_a, amount="1234.56", user=cast.a_admin)
    data = notice(recharge)

    def deliver(i):
        return Client().post("/pay/notify/local/", data).content

    results, errors = run_threads(20, deliver)
    assert errors == [None] * 20 and results == [b"success"] * 20
    assert JournalEntry.objects.filter(kind="recharge").count() == 1
    assert services.institution_accounts(cast.inst_a)[K.CASH].balance == Decimal("1234.56")
    books_balance()


def test_maker_checker_pages(client, cast, login, fund, books_balance):
    fund(cast.inst_a, clerk=cast.st, cash="100")
    login(cast.st)
    client.post("/ops/finance/approvals/", {"institution": cast.inst_a.pk, "account_kind": "cash", "amount": "0",
                                            "reason": "x"})
    assert not Approval.objects.exists()
    client.post("/ops/finance/approvals/", {"institution": cast.inst_a.pk, "account_kind": "cash", "amount": "-20",
                                            "reason": "更正"})
    approval = Approval.objects.get()
    resp = client.post(f"/ops/finance/approvals/{approval.pk}/decide/", {"decision": "approve"}, follow=True)
    assert "不能是申请人本人" in resp.content.decode()
    checker = Client()
    login(cast.bd, c=checker)
    checker.post(f"/ops/finance/approvals/{approval.pk}/decide/", {"decision": "approve"})
    assert services.institution_accounts(cast.inst_a)[K.CASH].balance == Decimal("80")
    books_balance()


@pytest.mark.parametrize("who,url", [
    ("a_officer", "/inst/finance/transfer/"), ("a_officer", "/inst/finance/recharge/"),
    ("a_viewer", "/inst/finance/transfer/"), ("cm", "/ops/finance/"), ("cm", "/ops/finance/recharges/"),
    ("a_admin", "/ops/finance/journal/"), ("st", "/inst/finance/"), ("cs", "/ops/finance/approvals/"),
])
def test_finance_pages_refuse_wrong_roles(client, cast, login, who, url):
    login(getattr(cast, who))
    assert client.get(url).status_code == 403


def test_institution_sees_only_its_own_books(client, cast, login, fund):
    fund(cast.inst_a, clerk=cast.st, cash="111.11")
    fund(cast.inst_b, clerk=cast.st, cash="222.22")
    login(cast.b_admin)
    page = client.get("/inst/finance/journal/").content.decode()
    assert "222.22" in page and "111.11" not in page
    page = client.get("/inst/finance/recharges/").content.decode()
    assert "222.22" in page and "111.11" not in page
    assert "¥222.22" in client.get("/inst/finance/").content.decode()


def test_viewer_sees_finance_read_only_and_header(client, cast, login, fund):
    fund(cast.inst_a, clerk=cast.st, margin="100")
    login(cast.a_sub_user)
    page = client.get("/inst/finance/").content.decode()
    assert "可用头寸" in page and "保证金头寸不足" in page  # below the 5,000 default threshold


@pytest.mark.parametrize("rows", [3, 60])
def test_journal_query_count_is_fixed(client, cast, login, fund, django_assert_num_queries, rows):
    fund(cast.inst_a, clerk=cast.st, cash="100000")
    for i in range(rows):
        services.transfer(institution=cast.inst_a, source=K.CASH, target=K.MARGIN, amount="1")
    login(cast.a_admin)
    client.get("/inst/finance/journal/?size=100")
    with django_assert_num_queries(6):
        assert client.get("/inst/finance/journal/?size=100").status_code == 200


@pytest.mark.parametrize("rows", [2, 40])
def test_recharge_lists_query_count_is_fixed(client, cast, login, django_assert_num_queries, rows):
    """The institution's recharge records and 数银's 充值确认 queue (offline transfers and online payments
    that arrived after expiry) cost the same number of queries for 2 or 40 rows."""
    from django.utils import timezone

    for i in range(rows):
        r = services.recharge_online_create(institution=cast.inst_a, amount="10", user=cast.a_admin)
        services.recharges_expire(now=timezone.now() + timezone.timedelta(hours=2))
        services.recharge_online_paid(order_no=r.order_no, txn_id=f"LATE{i}", amount=Decimal("10"))
    login(cast.a_admin)
    client.get("/inst/finance/recharges/?size=100")
    with django_assert_num_queries(6):
        page = client.get("/inst/finance/recharges/?size=100").content.decode()
    assert page.count("过期后支付（待处理）") >= rows
    clerk = Client()
    login(cast.st, c=clerk)
    clerk.get("/ops/finance/recharges/?status=late_paid&size=100")
    with django_assert_num_queries(3):
        page = clerk.get("/ops/finance/recharges/?status=late_paid&size=100").content.decode()
    assert page.count("人工入账</button>") == rows
