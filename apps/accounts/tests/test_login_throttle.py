"""Login limits through the real login pages: one account from one address (axes), one account from every address
(locks the account and tells its owner and administrators once), one address against every account; and which
address a request comes from (REMOTE_ADDR unless a trusted proxy header is configured)."""
import pytest
from django.test import Client

from apps.accounts.models import LoginLog
from apps.accounts.throttle import LOCK_LOG_REASON
from apps.common.params import param_set
from apps.messaging.models import Message

pytestmark = pytest.mark.django_db
WRONG = "wrong-password-1"


def sign_in(username, password, ip, area="inst", **headers):
    """One attempt from a fresh browser at address ``ip`` (as the server sees it: REMOTE_ADDR)."""
    return Client().post(f"/{area}/login/", {"username": username, "password": password}, REMOTE_ADDR=ip, **headers)


def signed_in(resp) -> bool:
    return resp.status_code == 302 and "_auth_user_id" in resp.client.session


def test_twelve_failures_over_three_addresses_lock_the_account_everywhere(cast):
    user = cast.a_officer
    for ip in ("198.51.100.1", "198.51.100.2", "198.51.100.3"):
        for _ in range(4):  # under the per-address-and-account limit of 5 at each address
            resp = sign_in(user.username, WRONG, ip)
            assert resp.status_code in (200, 429)
    resp = sign_in(user.username, cast.password, "198.51.100.4")
    page = resp.content.decode()
    assert resp.status_code == 429 and not signed_in(resp)
    assert "该账号在多个IP累计登录失败次数过多，账号已临时锁定 30 分钟" in page and "已通过站内信通知本人和管理员" in page
    assert not LoginLog.objects.filter(user=user, success=True).exists()

    # the owner and the institution's administrator are told once, though the lock was met again afterwards
    told = Message.objects.filter(title__contains=user.username)
    assert sorted(told.values_list("recipient_id", flat=True)) == sorted([user.pk, cast.a_admin.pk])
    msg = told.get(recipient=user)
    assert "锁定 30 分钟" in msg.title and "3 个IP累计登录失败 10 次" in msg.body and "198.51.100.2" in msg.body
    assert LoginLog.objects.filter(user=user, reason=LOCK_LOG_REASON).count() == 1
    assert not told.filter(recipient__in=[cast.b_admin, cast.admin]).exists()  # other institution, 数银


def test_account_lock_threshold_is_a_system_parameter_and_below_it_sign_in_works(cast):
    user = cast.a_officer
    for ip in ("198.51.100.1", "198.51.100.2"):
        for _ in range(4):
            sign_in(user.username, WRONG, ip)
    assert signed_in(sign_in(user.username, cast.password, "198.51.100.4"))  # 8 failures: under 10
    param_set(key="security.login_account_failure_limit", raw="5", user=cast.admin)
    sign_in(user.username, WRONG, "198.51.100.5")
    sign_in(user.username, WRONG, "198.51.100.6")
    assert sign_in(user.username, cast.password, "198.51.100.7").status_code == 429
    assert Message.objects.filter(recipient=cast.a_admin, title__contains=user.username).count() == 1


def test_shuyin_account_lock_tells_shuyin_administrators(cast):
    param_set(key="security.login_account_failure_limit", raw="5", user=cast.admin)
    for i in range(5):
        sign_in(cast.cm.username, WRONG, f"203.0.113.{i + 1}", area="ops")
    assert sign_in(cast.cm.username, cast.password, "203.0.113.50", area="ops").status_code == 429
    told = set(Message.objects.filter(title__contains=cast.cm.username).values_list("recipient_id", flat=True))
    assert told == {cast.cm.pk, cast.admin.pk}


def test_one_address_trying_many_accounts_is_stopped(cast):
    param_set(key="security.login_address_failure_limit", raw="10", user=cast.admin)
    for i in range(10):  # password spraying: ten names, one try each
        sign_in(f"guess{i}", WRONG, "192.0.2.66")
    resp = sign_in(cast.a_admin.username, cast.password, "192.0.2.66")
    assert resp.status_code == 429 and not signed_in(resp)
    assert "您所在的IP登录失败次数过多，已暂停从该IP登录 30 分钟" in resp.content.decode()
    assert signed_in(sign_in(cast.a_admin.username, cast.password, "192.0.2.67"))  # another address: fine
    assert not Message.objects.filter(recipient=cast.a_admin).exists()  # no account was locked


def test_five_failures_at_one_address_still_lock_that_pair(cast):
    for _ in range(5):
        sign_in(cast.a_admin.username, WRONG, "192.0.2.10")
    resp = sign_in(cast.a_admin.username, cast.password, "192.0.2.10")
    assert resp.status_code == 429 and "登录失败次数过多，账号已临时锁定 30 分钟" in resp.content.decode()
    assert signed_in(sign_in(cast.a_admin.username, cast.password, "192.0.2.11"))


def test_forwarded_headers_from_clients_are_ignored_without_a_trusted_proxy(cast):
    for i in range(5):  # a different forged address each time, all from one real address
        sign_in(cast.a_admin.username, WRONG, "192.0.2.20", HTTP_X_FORWARDED_FOR=f"10.9.9.{i}",
                HTTP_X_REAL_IP=f"10.8.8.{i}")
    resp = sign_in(cast.a_admin.username, cast.password, "192.0.2.20", HTTP_X_FORWARDED_FOR="10.9.9.99",
                   HTTP_X_REAL_IP="10.8.8.99")
    assert resp.status_code == 429
    assert set(LoginLog.objects.values_list("ip", flat=True)) == {"192.0.2.20"}


def test_trusted_proxy_header_gives_the_client_address(cast, settings):
    settings.TRUSTED_PROXY_HEADER, settings.TRUSTED_PROXY_COUNT = "X-Forwarded-For", 1
    proxy = "10.0.0.2"
    for _ in range(5):  # the client forges a first entry; our proxy appends the address it saw
        sign_in(cast.a_admin.username, WRONG, proxy, HTTP_X_FORWARDED_FOR="198.51.100.77, 203.0.113.5")
    assert set(LoginLog.objects.values_list("ip", flat=True)) == {"203.0.113.5"}
    assert sign_in(cast.a_admin.username, cast.password, proxy,
                   HTTP_X_FORWARDED_FOR="198.51.100.78, 203.0.113.5").status_code == 429  # forged entry ignored
    resp = sign_in(cast.a_admin.username, cast.password, proxy, HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert signed_in(resp)  # another client behind the same proxy is not locked out with the first
    assert LoginLog.objects.filter(success=True).get().ip == "203.0.113.9"


def test_client_ip_rules(rf, settings):
    from apps.common.middleware import client_ip

    def ip(**meta):
        return client_ip(rf.get("/", REMOTE_ADDR="10.0.0.2", **meta))

    settings.TRUSTED_PROXY_HEADER = ""
    assert ip(HTTP_X_REAL_IP="1.2.3.4", HTTP_X_FORWARDED_FOR="5.6.7.8") == "10.0.0.2"
    settings.TRUSTED_PROXY_HEADER = "X-Real-IP"
    assert ip(HTTP_X_REAL_IP="1.2.3.4") == "1.2.3.4"
    assert ip() == "10.0.0.2" and ip(HTTP_X_REAL_IP="not-an-ip; DROP") == "10.0.0.2"
    settings.TRUSTED_PROXY_HEADER, settings.TRUSTED_PROXY_COUNT = "X-Forwarded-For", 2
    assert ip(HTTP_X_FORWARDED_FOR="9.9.9.9, 1.2.3.4, 10.0.0.1") == "1.2.3.4"
    assert ip(HTTP_X_FORWARDED_FOR="10.0.0.1") == "10.0.0.2"  # fewer entries than proxies: not through them


def test_administrator_unlocks_by_setting_a_new_password(cast, login, client):
    param_set(key="security.login_account_failure_limit", raw="5", user=cast.admin)
    for i in range(5):
        sign_in(cast.a_officer.username, WRONG, f"198.51.100.{i + 1}")
    assert sign_in(cast.a_officer.username, cast.password, "198.51.100.9").status_code == 429
    login(cast.a_admin)
    edit = f"/inst/staff/{cast.a_officer.pk}/edit/"
    assert "账号锁定中" in client.get(edit).content.decode()  # the administrator sees it and how to lift it
    resp = client.post(f"/inst/staff/{cast.a_officer.pk}/password/", {"password": "Unlocked-2026-new"}, follow=True)
    assert "密码已重置，登录锁定已解除" in resp.content.decode() and "账号锁定中" not in client.get(edit).content.decode()
    assert signed_in(sign_in(cast.a_officer.username, "Unlocked-2026-new", "198.51.100.9"))
