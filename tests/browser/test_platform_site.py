"""The platform site's maintenance pages (issue 18 §6, §7, §9, §11) as an administrator uses them, at 1366 px:
the home's scheduler table, permission codes (disable one), regions (drill down, add a code), the logs."""
import pytest

from conftest import browser_login, said

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def no_horizontal_overflow(pg):
    return pg.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_admin_walks_the_platform_maintenance_pages(page, shot, cast):
    from apps.reports.tasks import rankings_task

    rankings_task.apply()
    browser_login(page, cast.admin, "platform")
    said(page, "定时任务运行情况")
    said(page, "区域排名计算")
    assert no_horizontal_overflow(page)
    shot(page, "platform-home-beat")

    page.click(".sidebar >> text=权限编码")
    said(page, "权限编码")
    page.fill("#id_q", "区域排名")
    page.click("button:has-text('搜索')")
    said(page, "reports.view_ranking")
    page.click("tr[data-code='reports.view_ranking'] >> text=编辑")
    page.uncheck("#id_is_active")
    page.fill("#id_description", "机构查看本区域排名")
    shot(page, "platform-permission-code-form")
    page.click("button:has-text('保存')")
    said(page, "立即生效")
    page.goto(f"{page.base}/platform/permission-codes/?size=50")
    assert no_horizontal_overflow(page)
    shot(page, "platform-permission-codes")

    page.click('.sidebar >> text="区域"')
    said(page, "省级")
    page.click("tr[data-code='44'] >> text=广东省")
    page.click("tr[data-code='4403'] >> text=深圳市")
    said(page, "南山区")
    page.click("text=新增区县")
    page.fill("#id_code", "440399")
    page.fill("#id_name", "前海区")
    page.click("button:has-text('保存')")
    said(page, "已新增区划 440399 前海区")
    assert no_horizontal_overflow(page)
    shot(page, "platform-regions-shenzhen")

    page.goto(f"{page.base}/platform/logs/operations/")
    said(page, "权限编码")
    said(page, "系统模块")
    assert "POST" not in page.inner_text("main") if page.locator("main").count() else True
    assert no_horizontal_overflow(page)
    shot(page, "platform-operation-log")
    page.goto(f"{page.base}/platform/logs/logins/")
    said(page, "平台管理后台")
    shot(page, "platform-login-log")
    page.goto(f"{page.base}/platform/parameters/")
    said(page, "区县 → 地市 → 全省 → 全国")
    shot(page, "platform-params")
