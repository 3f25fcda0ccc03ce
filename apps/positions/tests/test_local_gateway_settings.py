"""The local payment gateway confirms payments without money: it must exist only where settings ask for it.
Production settings refuse to start with it (unless a demo is declared) and never route its URLs."""
import os
import subprocess
import sys
from decimal import Decimal

import pytest
from django.conf import settings as django_settings
from django.test import Client

from apps.positions import services
from apps.positions.models import Account, JournalEntry, Recharge

from .test_views import notice

ROOT = django_settings.BASE_DIR
PROD_SECRET = "p" * 64


def run_prod(code: str, **env) -> subprocess.CompletedProcess:
    """``code`` in a fresh interpreter under production settings (settings are read once per process)."""
    environ = {k: v for k, v in os.environ.items() if k not in ("PAYMENT_LOCAL_GATEWAY", "SHUYIN_DEMO")}
    environ.update(DJANGO_SETTINGS_MODULE="shuyin.settings.prod", SECRET_KEY=PROD_SECRET, **env)
    return subprocess.run([sys.executable, "-c", "import django; django.setup()\n" + code], cwd=ROOT, env=environ,
                          capture_output=True, text=True, timeout=120)


PROBE = """
from django.conf import settings
from django.urls import Resolver404, resolve
for path in ("/pay/local/", "/pay/notify/local/"):
    try:
        resolve(path)
        print("routed", path)
    except Resolver404:
        print("absent", path)
print("enabled" if settings.PAYMENT_LOCAL_GATEWAY else "disabled")
"""


def test_production_settings_do_not_route_the_local_gateway():
    out = run_prod(PROBE)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["absent", "/pay/local/", "absent", "/pay/notify/local/", "disabled"]


def test_production_refuses_to_start_with_the_local_gateway():
    out = run_prod(PROBE, PAYMENT_LOCAL_GATEWAY="true")
    assert out.returncode != 0
    assert "PAYMENT_LOCAL_GATEWAY" in out.stderr and "ImproperlyConfigured" in out.stderr


def test_a_declared_demo_may_route_the_local_gateway():
    out = run_prod(PROBE, PAYMENT_LOCAL_GATEWAY="true", SHUYIN_DEMO="true")
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["routed", "/pay/local/", "routed", "/pay/notify/local/", "enabled"]


@pytest.mark.django_db
def test_switched_off_gateway_pages_answer_404_and_credit_nothing(client, cast, login, settings, books_balance):
    # An order created while the gateway was on; then it is switched off (the URLconf of this process still
    # routes it, so the views themselves must refuse).
    login(cast.a_admin)
    client.post("/inst/finance/recharge/", {"method": "online", "amount": "800.00"})
    recharge = Recharge.objects.get(method="online")
    settings.PAYMENT_LOCAL_GATEWAY = False
    data = notice(recharge)
    assert Client().post("/pay/notify/local/", data).status_code == 404
    assert client.get("/pay/local/", {"order_no": recharge.order_no}).status_code == 404
    assert client.get("/inst/finance/recharges/return/", data).status_code == 404
    page = client.get("/inst/finance/recharge/").content.decode()
    assert "在线支付暂未开通" in page and 'value="online"' not in page
    client.post("/inst/finance/recharge/", {"method": "online", "amount": "99999999999.00"})
    assert Recharge.objects.filter(method="online").count() == 1
    assert Recharge.objects.get(pk=recharge.pk).status != "credited"
    assert not JournalEntry.objects.filter(kind="recharge").exists()
    assert services.institution_accounts(cast.inst_a)[Account.Kind.CASH].balance == Decimal("0")
    books_balance()


def test_production_refuses_a_switched_on_provider_without_its_keys(tmp_path):
    out = run_prod(PROBE, PAYMENT_ALIPAY_ENABLED="true", PAYMENT_ALIPAY_APP_ID="2021000000000001",
                   PAYMENT_ALIPAY_APP_PRIVATE_KEY_FILE=str(tmp_path / "missing.pem"),
                   PAYMENT_ALIPAY_PUBLIC_KEY_FILE=str(tmp_path / "missing.pem"))
    assert out.returncode != 0 and "PAYMENT_ALIPAY_APP_PRIVATE_KEY_FILE" in out.stderr
    out = run_prod(PROBE, PAYMENT_WECHAT_ENABLED="true")
    assert out.returncode != 0 and "PAYMENT_WECHAT_MCHID is not set" in out.stderr
    # Switched on with readable keys, production starts; the notify endpoints are routed.
    key = tmp_path / "k.pem"
    key.write_text("key")
    out = run_prod("from django.urls import resolve; print(resolve('/pay/notify/alipay/').url_name)",
                   PAYMENT_ALIPAY_ENABLED="true", PAYMENT_ALIPAY_APP_ID="2021000000000001",
                   PAYMENT_ALIPAY_APP_PRIVATE_KEY_FILE=str(key), PAYMENT_ALIPAY_PUBLIC_KEY_FILE=str(key))
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "pay_notify_alipay"
