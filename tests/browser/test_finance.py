"""An institution admin recharges online through the local gateway's cashier page, moves money to
margin, and sees the header position — in a real browser."""
from decimal import Decimal

import pytest

from tests.browser.helpers import confirm, sign_in as browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_online_recharge_and_transfer_in_the_browser(page, shot, cast):
    from apps.positions.models import Account
    from apps.positions.selectors import ledger_check
    from apps.positions.services import institution_accounts

    browser_login(page, cast.a_admin, "inst")
    page.click("text=在线充值")
    page.fill("form:has(input[value=online]) #id_amount", "6000")
    page.click("button:has-text('去支付')")
    assert "应付 ¥6,000.00" in page.content()
    shot(page, "finance-gateway-cashier")
    page.click("[data-testid=gateway-pay]")
    assert "已到账 ¥6,000.00" in page.content()
    shot(page, "finance-recharge-list")
    page.click("text=账户划转")
    page.select_option("#id_direction", "cash>margin")
    page.fill("form:has(#id_direction) #id_amount", "5500")
    assert "资金将立即在账户之间转移" in confirm(page, "button:has-text('确认划转')")
    assert "划转成功" in page.content()
    header = page.inner_text(".topbar")
    assert "可用头寸：¥5,500.00" in header.replace(" ", "")
    shot(page, "finance-journal")
    accts = institution_accounts(cast.inst_a)
    assert accts[Account.Kind.MARGIN].balance == Decimal("5500") and accts[Account.Kind.CASH].balance == Decimal("500")
    assert ledger_check(deep=True) == []
