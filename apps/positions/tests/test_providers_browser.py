"""Paying with Alipay and WeChat Pay in a real browser, against the provider simulator: the institution
admin chooses the provider on the recharge page, pays on Alipay's (simulated) cashier page and comes
back credited; for WeChat Pay the QR code is shown on our page and the payer's scan credits the order."""
from decimal import Decimal

import pytest

from conftest import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_alipay_and_wechat_in_the_browser(page, shot, cast, sim):
    from apps.positions.models import Account, Recharge
    from apps.positions.selectors import ledger_check
    from apps.positions.services import institution_accounts

    browser_login(page, cast.a_admin, "inst")
    page.goto(f"{page.base}/inst/finance/recharge/")
    assert "支付宝" in page.content() and "微信支付" in page.content()
    shot(page, "finance-recharge-providers")
    page.check("input[name=provider][value=alipay]")
    page.fill("form:has(input[value=online]) #id_amount", "6000")
    page.click("button:has-text('去支付')")
    page.wait_for_url(lambda url: url.startswith(f"{sim.url}/alipay/gateway.do?"))
    assert "应付 ¥6000.00" in page.content()
    page.click("button:has-text('确认付款')")
    page.wait_for_url(lambda url: url.startswith(f"{page.base}/inst/finance/recharges/"))
    assert "已到账 ¥6,000.00" in page.content()
    page.goto(f"{page.base}/inst/finance/recharge/")
    page.check("input[name=provider][value=wechat]")
    page.fill("form:has(input[value=online]) #id_amount", "1500")
    page.click("button:has-text('去支付')")
    page.wait_for_selector("[data-testid=pay-qr] svg")
    shot(page, "finance-wechat-qr")
    recharge = Recharge.objects.get(provider="wechat")
    sim.pay("wechat", recharge.order_no)  # the payer scans the QR code with the phone
    page.click("button:has-text('查询支付结果')")
    assert "已到账 ¥1,500.00" in page.content()
    shot(page, "finance-recharge-list-providers")
    assert institution_accounts(cast.inst_a)[Account.Kind.CASH].balance == Decimal("7500.00")
    assert ledger_check(deep=True) == []
