"""A guessed-at account in a real browser: locked after the account-wide limit, the page says so in Chinese, the
institution's administrator reads the 站内信 and unlocks it by setting a new password."""
import pytest

from apps.common.params import param_set
from conftest import browser_login, said
from tests.browser.helpers import confirm

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def attempt(page, username, password):
    page.goto(f"{page.base}/inst/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")


def test_account_lock_message_and_unlock(page, shot, cast):
    param_set(key="security.login_account_failure_limit", raw="5", user=cast.admin)
    for _ in range(5):
        attempt(page, cast.a_officer.username, "wrong-password-1")
    attempt(page, cast.a_officer.username, cast.password)
    said(page, "账号已临时锁定 30 分钟，期间从任何IP都不能登录")
    shot(page, "login-account-locked")

    browser_login(page, cast.a_admin, "inst")
    page.goto(f"{page.base}/inst/messages/")
    said(page, f"账号 {cast.a_officer.username} 登录失败次数过多，已临时锁定 30 分钟")
    page.click(f"text=账号 {cast.a_officer.username} 登录失败次数过多")
    said(page, "累计登录失败 5 次")
    shot(page, "login-lock-message")
    page.goto(f"{page.base}/inst/staff/{cast.a_officer.pk}/edit/")
    said(page, "账号锁定中")
    shot(page, "login-lock-staff-page")
    page.fill("form[action$='/password/'] input[name=password]", "Unlocked-2026-new")
    assert "重置后该员工需用新密码重新登录" in confirm(page, "button:has-text('重置密码')")
    said(page, "密码已重置，登录锁定已解除")

    page.context.clear_cookies()
    browser_login(page, cast.a_officer, "inst", password="Unlocked-2026-new")  # waits for the home page
