"""The institution API over every endpoint: the whole case from offer to paid statement through the API, the same
masking as the back office, another institution's objects 404, a key without the code 403, a revoked key 401,
the rate limit 429, and idempotent POSTs (replayed, and raced on PostgreSQL)."""
import threading
import uuid
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client

from apps.api import services as keys
from apps.api.models import ApiKey, IdempotencyRecord
from apps.cases.models import Case
from apps.common import clock
from apps.dispatch import services as dispatch
from apps.dispatch.models import Candidate
from apps.members.models import PiiAccess
from apps.positions.models import Account, Hold
from apps.settlement import services as settlement
from apps.settlement.models import Settlement

API = "/api/v1"


def call(client, raw, method, path, body=None, key=None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"} if raw else {}
    if method == "post":
        headers["HTTP_IDEMPOTENCY_KEY"] = key or uuid.uuid4().hex
        return client.post(API + path, body or {}, content_type="application/json", **headers)
    return client.get(API + path, **headers)


@pytest.fixture
def world(cast, partners, ready_app, fund, clock_reset):
    """Two partners with cash; two applications dispatched to both; a full key for each, a view-only key for p1."""
    ps = partners(2)
    for p in ps:
        fund(p.org, clerk=cast.st, cash="20000")
    apps_ = [ready_app(), ready_app()]
    for a in apps_:
        dispatch.dispatch_start(application_id=a.pk)
    full = keys.key_grantable_codes()
    k1, raw1 = keys.key_create(actor=ps[0].user, name="信贷系统", permission_codes=full, rate_per_minute=1000)
    _k2, raw2 = keys.key_create(actor=ps[1].user, name="乙方系统", permission_codes=full, rate_per_minute=1000)
    _kv, raw_view = keys.key_create(actor=ps[0].user, name="只读", permission_codes=["dispatch.view_case"],
                                    rate_per_minute=1000)
    return type("W", (), dict(p1=ps[0], p2=ps[1], apps=apps_, raw1=raw1, raw2=raw2, raw_view=raw_view, k1=k1))


def offer_of(w, partner, app):
    return Candidate.objects.get(application=app, institution=partner.org)


def test_a_case_from_offer_to_paid_statement_through_the_api(cast, world, client, books_balance):
    w = world
    listed = call(client, w.raw1, "get", "/offers?status=offered").json()["items"]
    assert {o["order_no"] for o in listed} == {a.order_no for a in w.apps}
    o1 = offer_of(w, w.p1, w.apps[0])
    member = w.apps[0].member
    masked = call(client, w.raw1, "get", f"/offers/{o1.pk}").json()
    # masked exactly like the back office before acceptance (only the surname, masked numbers, nothing logged)
    assert masked["client"]["name"] == member.real_name[:1] + "**" and not masked["client"]["full"]
    assert member.mobile not in str(masked) and member.id_number not in str(masked) and masked["can_answer"]
    assert not PiiAccess.objects.filter(member=member).exists()

    idem = "accept-" + uuid.uuid4().hex
    first = call(client, w.raw1, "post", f"/offers/{o1.pk}/accept", key=idem)
    assert first.status_code == 200, first.content
    assert first.json()["status"] == "accepted" and first.json()["client"]["mobile"] == member.mobile
    assert PiiAccess.objects.filter(member=member).count() == 1  # the full view is logged, as on the page
    again = call(client, w.raw1, "post", f"/offers/{o1.pk}/accept", key=idem)
    assert (again.status_code, again.json(), again["Idempotent-Replayed"]) == (200, first.json(), "true")
    assert Hold.objects.filter(ref_id=str(w.apps[0].pk), account__owner=w.p1.org).count() == 1
    other = call(client, w.raw1, "post", f"/offers/{o1.pk}/decline", {"code": "busy"}, key=idem)
    assert other.status_code == 400 and "已处理" in other.json()["detail"]  # another route: a key space of its own

    o2 = offer_of(w, w.p2, w.apps[0])
    declined = call(client, w.raw2, "post", f"/offers/{o2.pk}/decline", {"code": "other"})
    assert declined.status_code == 400 and "其他" in declined.json()["detail"]  # the service's rule, in Chinese
    declined = call(client, w.raw2, "post", f"/offers/{o2.pk}/decline", {"code": "busy", "text": "排期已满"})
    assert declined.json()["status"] == "declined"

    dispatch.client_choose(actor=cast.cm, application_id=w.apps[0].pk, candidate_id=o1.pk)
    case = Case.objects.get(candidate=o1)
    assert [c["id"] for c in call(client, w.raw1, "get", "/cases").json()["items"]] == [case.pk]
    steps = [("allocate", {"officer_id": w.p1.user.pk}, "allocated"), ("review", {"note": "资料齐全"}, "reviewing"),
             ("signing/book", {"at": clock.now().isoformat(), "place": "营业厅"}, "signing"),
             ("signing/record", {"note": "客户已签约"}, "signed"),
             ("disburse", {"amount": "50000.00", "disbursed_on": clock.today().isoformat(), "contract_no": "HT-API-1",
                           "term_months": 12, "annual_rate": "6.5"}, "disbursed")]
    for path, body, status in steps:
        resp = call(client, w.raw1, "post", f"/cases/{case.pk}/{path}", body)
        assert resp.status_code == 200 and resp.json()["status"] == status, (path, resp.content)
    assert call(client, w.raw1, "get", f"/cases/{case.pk}").json()["disbursed_amount"] == "50000.00"

    s = Settlement.objects.get(case=case)
    assert call(client, w.raw1, "get", f"/settlements/{s.pk}/statement.pdf").status_code == 404  # not issued yet
    settlement.confirm_amount(actor=cast.fo, settlement_id=s.pk, amount="50000")
    settlement.confirm_client(actor=cast.cm, settlement_id=s.pk)
    settlement.commission_confirm(actor=cast.fo, settlement_id=s.pk)
    listed = call(client, w.raw1, "get", "/settlements").json()["items"]
    assert [(x["id"], x["status"], x["total"]) for x in listed] == [(s.pk, "statement", "500.00")]
    pdf = call(client, w.raw1, "get", f"/settlements/{s.pk}/statement.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    before = call(client, w.raw1, "get", "/accounts/balances").json()
    paid = call(client, w.raw1, "post", f"/settlements/{s.pk}/pay-from-cash", key="pay-1")
    assert paid.json()["status"] == "paid"
    assert call(client, w.raw1, "post", f"/settlements/{s.pk}/pay-from-cash", key="pay-1").json() == paid.json()
    twice = call(client, w.raw1, "post", f"/settlements/{s.pk}/pay-from-cash", key="pay-2")
    assert twice.status_code == 400 and "不能付款" in twice.json()["detail"]
    after = call(client, w.raw1, "get", "/accounts/balances").json()
    assert Decimal(before["cash"]) - Decimal(after["cash"]) == Decimal("500.00")
    assert Decimal(after["held"]) == Decimal("1000.00")  # the case's hold stays until 跟单 releases it
    journal = call(client, w.raw1, "get", "/accounts/journal?limit=2").json()
    assert journal["items"][0]["amount"] == "-500.00" and journal["next_cursor"]

    # the second application: accepted, chosen, and given back (能否操作：否)
    o3 = offer_of(w, w.p1, w.apps[1])
    assert call(client, w.raw1, "post", f"/offers/{o3.pk}/accept").json()["status"] == "accepted"
    dispatch.client_choose(actor=cast.cm, application_id=w.apps[1].pk, candidate_id=o3.pk)
    case2 = Case.objects.get(candidate=o3)
    gone = call(client, w.raw1, "post", f"/cases/{case2.pk}/cannot-lend", {"reason": "客户征信不符"})
    assert gone.json()["status"] == "cannot_lend"
    o3.refresh_from_db()
    assert Hold.objects.get(pk=o3.hold_id).status == "released"
    # every write is in the operation log under the key's own account
    from apps.common.models import OperationLog

    assert OperationLog.objects.filter(user=w.k1.user, path__startswith=API, method="POST").count() >= 8
    books_balance()


def endpoints(offer, case, s):
    """Every endpoint with a foreign object's id, the code it needs and a valid body."""
    return [
        ("get", "/offers", None, "dispatch.view_case"),
        ("get", f"/offers/{offer}", None, "dispatch.view_case"),
        ("post", f"/offers/{offer}/accept", None, "dispatch.answer_case"),
        ("post", f"/offers/{offer}/decline", {"code": "busy"}, "dispatch.answer_case"),
        ("get", "/cases", None, "cases.view_case"),
        ("get", f"/cases/{case}", None, "cases.view_case"),
        ("post", f"/cases/{case}/allocate", {"unit_id": 1}, "cases.allocate_case"),
        ("post", f"/cases/{case}/review", {"note": "x"}, "cases.handle_case"),
        ("post", f"/cases/{case}/signing/book", {"at": "2030-01-01T10:00:00+08:00", "place": "x"}, "cases.handle_case"),
        ("post", f"/cases/{case}/signing/record", {"note": "x"}, "cases.handle_case"),
        ("post", f"/cases/{case}/disburse", {"amount": "1.00", "disbursed_on": "2030-01-01", "contract_no": "x",
                                             "term_months": 12, "annual_rate": "6"}, "cases.handle_case"),
        ("post", f"/cases/{case}/cannot-lend", {"reason": "x"}, "cases.handle_case"),
        ("get", "/settlements", None, "settlement.view_settlement"),
        ("get", f"/settlements/{s}", None, "settlement.view_settlement"),
        ("get", f"/settlements/{s}/statement.pdf", None, "settlement.view_settlement"),
        ("post", f"/settlements/{s}/pay-from-cash", None, "settlement.pay_settlement"),
        ("get", "/accounts/balances", None, "positions.view_account"),
        ("get", "/accounts/journal", None, "positions.view_journalline"),
    ]


def test_every_endpoint_keeps_to_its_institution_its_codes_and_live_keys(cast, world, client):
    from apps.settlement.tests.isolation import b_settlement

    w = world
    bs = b_settlement(cast)  # institution B's case and settlement (B's offer is the case's)
    settlement.confirm_amount(actor=cast.fo, settlement_id=bs.pk, amount="50000")
    settlement.confirm_client(actor=cast.cm, settlement_id=bs.pk)
    settlement.commission_confirm(actor=cast.fo, settlement_id=bs.pk)
    bs.refresh_from_db()
    before = (bs.status, Case.objects.get(pk=bs.case_id).status, Candidate.objects.get(pk=bs.case.candidate_id).status)
    table = endpoints(bs.case.candidate_id, bs.case_id, bs.pk)
    assert len(table) == len([r for r in __import__("apps.api.v1", fromlist=["api"]).api.get_openapi_schema()
                              ["paths"].values() for _m in r])  # the table names every operation of the API
    for method, path, body, code in table:
        resp = call(client, w.raw1, method, path, body)
        listing = not any(ch.isdigit() for ch in path)
        if listing:
            assert resp.status_code == 200, (path, resp.content)  # lists: own rows only
            assert str(bs.number) not in resp.content.decode() and bs.application.order_no not in resp.content.decode()
        else:
            assert resp.status_code == 404, (path, resp.status_code, resp.content)
            assert "不属于贵机构" in resp.json()["detail"]
        wrong = call(client, w.raw_view, method, path, body)
        expected = 403 if code != "dispatch.view_case" else 200 if listing else 404
        assert wrong.status_code == expected, (path, wrong.status_code)
        assert call(client, "", method, path, body).status_code == 401
        assert call(client, "sy_00000000_" + "x" * 40, method, path, body).status_code == 401
    bs.refresh_from_db()
    assert (bs.status, Case.objects.get(pk=bs.case_id).status,
            Candidate.objects.get(pk=bs.case.candidate_id).status) == before

    # revoked: refused at once; the institution's other key still works
    keys.key_revoke(actor=w.p1.user, key_id=w.k1.pk)
    resp = call(client, w.raw1, "get", "/offers")
    assert resp.status_code == 401 and "吊销" in resp.json()["detail"]
    assert call(client, w.raw_view, "get", "/offers").status_code == 200
    # another institution's admin cannot revoke this institution's key
    other = ApiKey.objects.get(name="只读")
    with pytest.raises(Exception):
        keys.key_revoke(actor=w.p2.user, key_id=other.pk)
    # a POST without its Idempotency-Key is refused before anything runs
    resp = client.post(f"{API}/offers/1/accept", HTTP_AUTHORIZATION=f"Bearer {w.raw2}")
    assert resp.status_code == 400 and "Idempotency-Key" in resp.json()["detail"]


def test_a_key_gets_at_most_what_institutions_may_have_and_its_rate(cast, world, client):
    from django.core.exceptions import PermissionDenied

    w = world
    with pytest.raises(PermissionDenied):  # a code 数银 does not allow institutions (nor the API checks)
        keys.key_create(actor=w.p1.user, name="越权", permission_codes=["positions.confirm_recharge"],
                        rate_per_minute=10)
    with pytest.raises(PermissionDenied):  # a read-only operator does not manage keys
        keys.key_create(actor=cast.a_viewer, name="x", permission_codes=["dispatch.view_case"], rate_per_minute=10)
    _k, raw = keys.key_create(actor=w.p1.user, name="限流", permission_codes=["dispatch.view_case"], rate_per_minute=3)
    codes = [call(client, raw, "get", "/offers").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    resp = call(client, raw, "get", "/offers")
    assert int(resp["Retry-After"]) <= 60 and "每分钟" in resp.json()["detail"]
    # a code 数银 disables afterwards grants nothing through a key either
    from apps.accounts.permcodes import permission_code_update
    from django.contrib.auth.models import Permission

    perm = Permission.objects.get(content_type__app_label="dispatch", codename="view_case")
    permission_code_update(actor=cast.admin, permission=perm, name="", description="", is_active=False)
    assert call(client, w.raw_view, "get", "/offers").status_code == 403


def test_the_offer_list_costs_the_same_queries_for_any_number_of_offers(cast, world, client, ready_app,
                                                                        django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    w = world

    def count():
        call(client, w.raw1, "get", "/offers?limit=50")
        with CaptureQueriesContext(connection) as ctx:
            resp = call(client, w.raw1, "get", "/offers?limit=50")
        return len(ctx), len(resp.json()["items"])

    few = count()
    for _ in range(3):
        dispatch.dispatch_start(application_id=ready_app().pk)
    many = count()
    assert few[0] == many[0] <= 3 and (few[1], many[1]) == (2, 5)


def test_docs_are_openapi_3_in_chinese(client):
    schema = client.get(f"{API}/openapi.json").json()
    assert schema["openapi"].startswith("3.") and schema["info"]["title"] == "数银在线开放接口"
    accept = schema["paths"]["/api/v1/offers/{offer_id}/accept"]["post"]
    assert accept["summary"] == "受理派单" and any(p["name"] == "Idempotency-Key" for p in accept["parameters"])
    page = client.get("/api/docs")
    assert page.status_code == 200 and b"swagger" in page.content.lower() and b"cdn" not in page.content.lower()


@pytest.mark.django_db(transaction=True)
def test_idempotent_posts_raced_on_postgresql(cast, partners, ready_app, fund, books_balance):
    """Eight threads send the same accept with one Idempotency-Key at once: it runs once, all get its answer.
    Then two threads accept another offer with different keys: one accepts, the other is told it was answered."""
    ps = partners(1)
    apps_ = [ready_app(), ready_app()]
    for a in apps_:
        dispatch.dispatch_start(application_id=a.pk)
    _k, raw = keys.key_create(actor=ps[0].user, name="并发", permission_codes=keys.key_grantable_codes(),
                              rate_per_minute=1000)
    offers = [Candidate.objects.get(application=a) for a in apps_]

    def race(n, path, key_of):
        barrier, results = threading.Barrier(n), [None] * n

        def run(i):
            try:
                barrier.wait()
                resp = Client().post(API + path, {}, content_type="application/json",
                                     HTTP_AUTHORIZATION=f"Bearer {raw}", HTTP_IDEMPOTENCY_KEY=key_of(i))
                results[i] = (resp.status_code, resp.json())
            finally:
                connection.close()

        threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        return results

    same = race(8, f"/offers/{offers[0].pk}/accept", lambda i: "same-key")
    assert all(r == same[0] for r in same) and same[0][0] == 200 and same[0][1]["status"] == "accepted"
    assert IdempotencyRecord.objects.filter(key="same-key").count() == 1
    assert Hold.objects.filter(ref_id=str(apps_[0].pk)).count() == 1

    different = race(2, f"/offers/{offers[1].pk}/accept", lambda i: f"key-{i}")
    assert sorted(code for code, _b in different) == [200, 400], different
    assert Hold.objects.filter(ref_id=str(apps_[1].pk)).count() == 1
    assert Account.objects.get(owner=ps[0].org, kind="margin").held == Decimal("2000.00")
    books_balance()
