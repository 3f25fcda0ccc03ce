"""admin creates a role and a staff member who then signs in and sees exactly the granted menus."""
import pytest

from conftest import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sidebar_titles(page):
    return [t.strip() for t in page.locator(".sidebar .menu-item").all_inner_texts()]


def test_admin_creates_role_and_staff_who_sees_granted_menus(page, shot, cast):
    browser_login(page, cast.admin, "platform")
    page.click("text=角色管理")
    page.click("text=新增角色")
    page.fill("#id_name", "日志审计员")
    page.fill("#id_code", "auditor")
    page.select_option("#id_data_scope", "4")
    page.check("input[value='accounts.access_platform']")
    page.check("input[value='common.view_operationlog']")
    shot(page, "admin-role-form")
    page.click("button:has-text('保存')")
    assert "角色已保存" in page.content() or "已新增角色" in page.content()

    page.click("text=用户管理")
    page.click("text=新增员工")
    page.fill("#id_username", "auditor1")
    page.fill("#id_real_name", "审计员一")
    page.fill("#id_mobile", "13800001111")
    page.select_option("#id_organization", label="数银在线")
    page.get_by_label("日志审计员").check()
    page.fill("#id_password", "Auditor-pass-2026")
    shot(page, "admin-staff-form")
    page.click("button:has-text('保存')")
    assert "已新增员工账号 auditor1" in page.content()
    page.click("button:has-text('退出')")

    page.goto(f"{page.base}/platform/login/")
    page.fill("#id_username", "auditor1")
    page.fill("#id_password", "Auditor-pass-2026")
    page.click("button[type=submit]")
    page.wait_for_url(f"{page.base}/platform/")
    titles = sidebar_titles(page)
    assert "操作日志" in titles and "用户管理" not in titles and "角色管理" not in titles
    shot(page, "admin-new-staff-menus")
    page.click("text=操作日志")
    assert "auditor1" in page.content() or "t_admin" in page.content()
    page.goto(f"{page.base}/platform/users/")
    assert "无权访问" in page.content()
