"""Limits on money requests: online recharge per order and per institution per day (system parameters),
and a risk-margin withdrawal above what is free refused when it is requested, not only when approved."""
from decimal import Decimal

import pytest
from django.test import Client

from apps.common.params import param_set
from apps.positions import services
from apps.positions.models import Account, Approval, Recharge

from apps.common.testing import run_threads

K = Account.Kind
pytestmark = pytest.mark.django_db


def online(client, amount):
    return client.post("/inst/finance/recharge/", {"method": "online", "provider": "local", "amount": amount})


def test_online_recharge_above_the_order_limit_refused(client, cast, login):
    login(cast.a_admin)
    resp = online(client, "99999999999.00")  # the amount production once credited without a payment
    page = resp.content.decode()
    assert resp.status_code == 200 and "单笔在线充值不能超过 ¥1,000,000.00" in page and "线下银行转账" in page
    param_set(key="positions.online_order_max", raw="500", user=cast.admin, reason="测试")
    assert "单笔在线充值不能超过 ¥500.00" in online(client, "500.01").content.decode()
    assert not Recharge.objects.exists()
    assert online(client, "500.00").status_code == 302


def test_online_recharge_above_the_daily_limit_refused(client, cast, login):
    param_set(key="positions.online_daily_max", raw="1000", user=cast.admin, reason="测试")
    login(cast.a_admin)
    assert online(client, "600.00").status_code == 302
    page = online(client, "600.00").content.decode()
    assert "超出每日在线充值上限 ¥1,000.00" in page and "今日已下单 ¥600.00" in page and "最多还可充值 ¥400.00" in page
    assert Recharge.objects.count() == 1
    # A sub-branch's orders count against its legal entity's day; another institution has its own.
    assert services.recharge_online_create(institution=cast.inst_b, amount="1000", user=cast.b_admin).pk
    with pytest.raises(services.LedgerError):
        services.recharge_online_create(institution=cast.inst_a_sub, amount="400.01", user=cast.a_admin)
    # An expired order no longer counts.
    Recharge.objects.filter(institution=cast.inst_a).update(status=Recharge.Status.EXPIRED)
    assert online(client, "1000.00").status_code == 302


@pytest.mark.django_db(transaction=True)
@pytest.mark.xdist_group("db-threads")
def test_concurrent_orders_cannot_pass_the_daily_limit_together(cast):
    param_set(key="positions.online_daily_max", raw="1000", user=cast.admin, reason="测试")

    def attempt(_i):
        try:
            services.recharge_online_create(institution=cast.inst_a, amount="300", user=cast.a_admin)
        except services.LedgerError:
            return "refused"
        return "ok"

    outcomes, errors = run_threads(8, attempt)
    assert errors == [None] * 8 and outcomes.count("ok") == 3
    assert Recharge.objects.filter(institution=cast.inst_a).count() == 3


def test_withdrawal_above_the_free_risk_margin_refused_when_requested(client, cast, login, fund, books_balance):
    fund(cast.inst_a, clerk=cast.st, cash="50", risk="100")
    login(cast.a_admin)
    resp = client.post("/inst/finance/transfer/", {"withdraw": "1", "amount": "150.00", "reason": "回笼资金"})
    page = resp.content.decode()
    assert resp.status_code == 200 and "风险保证金可用余额不足：可转出 ¥100.00" in page and "本次申请 ¥150.00" in page
    assert not Approval.objects.exists()
    assert client.post("/inst/finance/transfer/", {"withdraw": "1", "amount": "80.00",
                                                   "reason": "回笼资金"}).status_code == 302
    page = client.post("/inst/finance/transfer/", {"withdraw": "1", "amount": "30.00",
                                                   "reason": "再次申请"}).content.decode()
    assert "可转出 ¥20.00（另有待审批转出 ¥80.00）" in page
    assert Approval.objects.count() == 1
    # A transfer above the free balance is refused at once, with the form kept.
    page = client.post("/inst/finance/transfer/", {"transfer": "1", "idem": "x1", "direction": "cash>margin",
                                                   "amount": "50.01"}).content.decode()
    assert "现金账户可用余额不足" in page
    accts = services.institution_accounts(cast.inst_a)
    assert accts[K.CASH].balance == Decimal("50.00") and accts[K.RISK].balance == Decimal("100.00")
    books_balance()
