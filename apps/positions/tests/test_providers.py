"""Alipay and WeChat Pay through the provider simulator (apps/positions/simulator.py): a real HTTP server
that signs as the providers sign, with key pairs generated per test. The product verifies every notice
and answer through the SDKs exactly as in production; its notify endpoints are reached over HTTP
(``live_server``), and the institution's pages through the test client."""
import threading
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
import requests
from django.test import Client
from django.utils import timezone

from apps.messaging.models import Message
from apps.positions import services
from apps.positions.models import Account, JournalEntry, Recharge

K = Account.Kind


def order(client, cast, login, provider, amount="800.00"):
    """A's admin orders an online recharge on the recharge page; returns (recharge, response)."""
    login(cast.a_admin)
    resp = client.post("/inst/finance/recharge/", {"method": "online", "provider": provider, "amount": amount})
    assert resp.status_code == 302, resp.content.decode()
    return Recharge.objects.get(method="online", provider=provider), resp


def alipay_order(client, cast, login, sim, amount="800.00"):
    """The browser is sent to Alipay's cashier: the simulator accepts the merchant's RSA2 signature."""
    recharge, resp = order(client, cast, login, "alipay", amount)
    assert resp["Location"].startswith(f"{sim.url}/alipay/gateway.do?")
    cashier = requests.get(resp["Location"], timeout=30)
    assert "支付宝收银台" in cashier.text and f"应付 ¥{recharge.amount}" in cashier.text
    return recharge


def wechat_order(client, cast, login, sim, amount="800.00"):
    recharge, resp = order(client, cast, login, "wechat", amount)
    assert resp["Location"] == f"/inst/finance/recharges/{recharge.pk}/pay/"
    page = client.get(resp["Location"]).content.decode()
    assert 'data-testid="pay-qr"' in page and "<svg" in page and "微信" in page
    recharge.refresh_from_db()
    assert recharge.checkout_url == sim.trade("wechat", recharge.order_no).code_url
    return recharge


def cash(cast) -> Decimal:
    return services.institution_accounts(cast.inst_a)[K.CASH].balance


def credits() -> int:
    return JournalEntry.objects.filter(kind="recharge").count()


def test_alipay_page_pay_notify_credits_once(client, cast, login, sim, books_balance):
    recharge = alipay_order(client, cast, login, sim)
    paid = sim.pay("alipay", recharge.order_no)
    assert sim.trade("alipay", recharge.order_no).notices == [(200, "success")]
    recharge.refresh_from_db()
    assert recharge.status == "credited" and recharge.provider_txn_id.startswith("alipay:2026")
    assert cash(cast) == Decimal("800.00")
    # The browser comes back (return_url): the order is shown as paid.
    back = client.get(urlsplit(paid.headers["Location"]).path + "?" + urlsplit(paid.headers["Location"]).query,
                      follow=True)
    assert "已到账 ¥800.00" in back.content.decode()
    # Alipay repeats its notice until answered; every repeat is answered success and credits nothing.
    for _ in range(3):
        assert sim.alipay_notify(recharge.order_no).text == "success"
    threads = [threading.Thread(target=sim.alipay_notify, args=(recharge.order_no,)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert credits() == 1 and cash(cast) == Decimal("800.00")
    books_balance()


def test_alipay_forged_or_wrong_amount_notice_refused(client, cast, login, sim, books_balance):
    recharge = alipay_order(client, cast, login, sim)
    sim.pay("alipay", recharge.order_no, notify=False)
    forged = sim.alipay_notify(recharge.order_no, forge=True)  # signed with a key that is not Alipay's
    assert forged.status_code == 400 and forged.text == "fail"
    wrong = sim.alipay_notify(recharge.order_no, amount="8000.00")  # genuinely signed, other amount
    assert wrong.status_code == 400 and wrong.text == "fail"
    assert Recharge.objects.get(pk=recharge.pk).status == "awaiting" and credits() == 0
    assert sim.alipay_notify(recharge.order_no).text == "success"
    assert Recharge.objects.get(pk=recharge.pk).status == "credited" and cash(cast) == Decimal("800.00")
    books_balance()


def test_wechat_native_qr_notify_credits_once(client, cast, login, sim, books_balance):
    recharge = wechat_order(client, cast, login, sim, amount="1234.56")
    assert sim.pay("wechat", recharge.order_no).status_code == 200  # the payer scans and pays
    assert sim.trade("wechat", recharge.order_no).notices == [(204, "")]
    recharge.refresh_from_db()
    assert recharge.status == "credited" and recharge.provider_txn_id.startswith("wechat:2026")
    for _ in range(3):
        assert sim.wechat_notify(recharge.order_no).status_code == 204
    assert credits() == 1 and cash(cast) == Decimal("1234.56")
    page = client.get(f"/inst/finance/recharges/{recharge.pk}/pay/").content.decode()
    assert "已入账" in page and "pay-qr" not in page
    listing = client.get("/inst/finance/recharges/").content.decode()
    assert "微信支付" in listing and "继续支付" not in listing
    books_balance()


def test_wechat_forged_stale_undecryptable_or_wrong_amount_notice_refused(client, cast, login, sim, books_balance):
    import time

    recharge = wechat_order(client, cast, login, sim)
    sim.pay("wechat", recharge.order_no, notify=False)
    refused = [
        sim.wechat_notify(recharge.order_no, forge=True),  # not signed by the platform certificate's key
        sim.wechat_notify(recharge.order_no, apiv3_key="0" * 32),  # AEAD_AES_256_GCM tag fails
        sim.wechat_notify(recharge.order_no, stamp=int(time.time()) - 3600),  # a replay of an old notice
        sim.wechat_notify(recharge.order_no, amount_fen=1),  # genuinely signed, other amount
    ]
    assert [r.status_code for r in refused] == [400, 400, 400, 400]
    assert all(r.json()["code"] == "FAIL" for r in refused)
    assert Recharge.objects.get(pk=recharge.pk).status == "awaiting" and credits() == 0
    assert sim.wechat_notify(recharge.order_no).status_code == 204
    assert cash(cast) == Decimal("800.00")
    books_balance()


def test_wechat_new_platform_certificate_is_downloaded_and_decrypted(client, cast, login, sim, books_balance):
    """WeChat Pay rotates its platform certificate: the notice carries a serial number the merchant does not
    have, so the SDK fetches /v3/certificates (AEAD-encrypted with the APIv3 key) and verifies with it."""
    recharge = wechat_order(client, cast, login, sim)
    sim.rotate_platform_certificate()
    assert ("GET", "/v3/certificates") not in sim.requests
    sim.pay("wechat", recharge.order_no)
    assert ("GET", "/v3/certificates") in sim.requests
    assert Recharge.objects.get(pk=recharge.pk).status == "credited"
    books_balance()


@pytest.mark.parametrize("provider", ["alipay", "wechat"])
def test_recovery_by_trade_query_when_the_notice_never_comes(client, cast, login, sim, provider, books_balance):
    recharge = (alipay_order if provider == "alipay" else wechat_order)(client, cast, login, sim)
    sim.pay(provider, recharge.order_no, notify=False)  # paid, but the notice is lost
    assert services.recharges_reconcile() == {}  # too young to ask about (positions.online_query_after_minutes)
    later = timezone.now() + timezone.timedelta(minutes=10)
    assert services.recharges_reconcile(now=later) == {"credited": 1}
    assert services.recharges_reconcile(now=later) == {}  # settled: a second run asks nothing
    from apps.positions.tasks import reconcile_recharges_task

    assert reconcile_recharges_task() == {}
    # The notice finally arrives: a duplicate.
    late = sim.alipay_notify(recharge.order_no) if provider == "alipay" else sim.wechat_notify(recharge.order_no)
    assert late.status_code in (200, 204)
    recharge.refresh_from_db()
    assert recharge.status == "credited" and credits() == 1 and cash(cast) == Decimal("800.00")
    books_balance()


def test_pay_page_asks_the_provider_when_the_payer_says_paid(client, cast, login, sim, books_balance):
    recharge = wechat_order(client, cast, login, sim)
    assert f"/inst/finance/recharges/{recharge.pk}/pay/" in client.get("/inst/finance/recharges/").content.decode()
    resp = client.post(f"/inst/finance/recharges/{recharge.pk}/pay/", follow=True)
    assert "尚未收到付款" in resp.content.decode()
    sim.pay("wechat", recharge.order_no, notify=False)
    resp = client.post(f"/inst/finance/recharges/{recharge.pk}/pay/", follow=True)
    assert "已到账 ¥800.00" in resp.content.decode()
    assert Recharge.objects.get(pk=recharge.pk).status == "credited" and credits() == 1
    books_balance()


@pytest.mark.parametrize("provider", ["alipay", "wechat"])
def test_expired_order_closed_at_provider_and_a_late_payment_flagged(client, cast, login, sim, provider,
                                                                    books_balance):
    recharge = (alipay_order if provider == "alipay" else wechat_order)(client, cast, login, sim)
    assert services.recharges_reconcile(now=timezone.now() + timezone.timedelta(hours=2)) == {"expired": 1}
    trade = sim.trade(provider, recharge.order_no)
    assert trade.status == "CLOSED" and Recharge.objects.get(pk=recharge.pk).status == "expired"
    assert sim.pay(provider, recharge.order_no).status_code == 400  # the closed order cannot be paid
    # A payment that raced the close at the provider: its notice arrives for an order we already closed.
    trade.status = "WAIT"
    sim.pay(provider, recharge.order_no)
    assert trade.notices[-1][0] in (200, 204)  # answered (recorded), so the provider stops repeating it
    recharge.refresh_from_db()
    assert recharge.status == "late_paid" and "待退款或人工入账" in recharge.reason
    assert credits() == 0 and cash(cast) == Decimal("0")
    assert Message.objects.filter(recipient=cast.st, title__contains=recharge.order_no).exists()
    books_balance()


def test_recharge_page_offers_exactly_the_enabled_providers(client, cast, login, sim, settings):
    login(cast.a_admin)
    page = client.get("/inst/finance/recharge/").content.decode()
    assert all(label in page for label in ("支付宝", "微信支付", "本地支付网关")), page
    settings.PAYMENT_ALIPAY_ENABLED = False
    settings.PAYMENT_LOCAL_GATEWAY = False
    page = client.get("/inst/finance/recharge/").content.decode()
    assert "微信支付" in page and 'value="alipay"' not in page and 'value="local"' not in page
    resp = client.post("/inst/finance/recharge/", {"method": "online", "provider": "alipay", "amount": "10"})
    assert "请选择已开通的支付方式" in resp.content.decode() and not Recharge.objects.exists()
    # A switched-off provider's notify endpoint answers 404.
    assert requests.post(f"{settings.PAYMENT_NOTIFY_BASE_URL}/pay/notify/alipay/", data={"a": "1"},
                         timeout=30).status_code == 404
    settings.PAYMENT_WECHAT_ENABLED = False
    assert "在线支付暂未开通" in client.get("/inst/finance/recharge/").content.decode()


def test_unreachable_provider_leaves_a_clear_error(client, cast, login, sim):
    sim.stop()
    login(cast.a_admin)
    resp = client.post("/inst/finance/recharge/", {"method": "online", "provider": "wechat", "amount": "10"})
    assert "支付渠道暂时无法连接" in resp.content.decode()
    assert services.recharges_reconcile(now=timezone.now() + timezone.timedelta(hours=2)) == {"unavailable": 1}
    assert Recharge.objects.get().status == "awaiting"  # unknown outcome: asked again on the next run


def test_pay_page_permissions(client, cast, login, sim):
    recharge = wechat_order(client, cast, login, sim)
    url = f"/inst/finance/recharges/{recharge.pk}/pay/"
    assert client.get(url).status_code == 200
    viewer = Client()
    login(cast.a_viewer, c=viewer)
    assert viewer.get(url).status_code == 403
    outsider = Client()
    login(cast.b_admin, c=outsider)
    assert outsider.get(url).status_code == 404
    assert outsider.post(url).status_code == 404
    assert Recharge.objects.get(pk=recharge.pk).status == "awaiting"


def test_unreadable_provider_keys_leave_a_clear_error_not_a_500(client, cast, login, settings, tmp_path):
    bad = tmp_path / "bad.pem"
    bad.write_text("not a key")
    settings.PAYMENT_ALIPAY_ENABLED = True
    settings.PAYMENT_ALIPAY_APP_PRIVATE_KEY_FILE = str(bad)
    settings.PAYMENT_ALIPAY_PUBLIC_KEY_FILE = str(tmp_path / "missing.pem")
    login(cast.a_admin)
    resp = client.post("/inst/finance/recharge/", {"method": "online", "provider": "alipay", "amount": "10"})
    assert resp.status_code == 200 and "支付渠道暂时无法连接" in resp.content.decode()
    assert Client().post("/pay/notify/alipay/", {"sign": "x"}).status_code == 503
    assert services.recharges_reconcile(now=timezone.now() + timezone.timedelta(hours=2)) == {"unavailable": 1}
