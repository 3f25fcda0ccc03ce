"""Log into each web area in a real browser, in Chinese, and keep screenshots."""
import pytest

from conftest import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_three_areas_in_chinese(page, shot, cast):
    page.goto(page.base + "/")
    assert "请选择您的登录入口" in page.content()
    shot(page, "foundation-landing")

    page.goto(page.base + "/ops/login/")
    page.fill("#id_username", cast.a_admin.username)
    page.fill("#id_password", cast.password)
    page.click("button[type=submit]")
    assert "该账号不能登录本区域" in page.inner_text("[data-testid=login-error]")
    shot(page, "foundation-wrong-area")

    browser_login(page, cast.cm, "ops")
    assert "工作台" in page.inner_text("h1")
    shot(page, "foundation-ops-home")
    page.click("button:has-text('退出')")

    browser_login(page, cast.admin, "platform")
    page.click("text=用户管理")
    assert "t_cm" in page.content()
    shot(page, "foundation-platform-users")
    page.click("button:has-text('退出')")

    browser_login(page, cast.a_admin, "inst")
    header = page.inner_text(".topbar")
    assert "甲机构" in header and "操作员" in header and "上次登录" in header
    page.click("text=下级机构")
    assert "甲机构南山支行" in page.content() and "乙机构" not in page.content()
    shot(page, "foundation-inst-units")
