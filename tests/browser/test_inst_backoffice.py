"""机构后台 pages of issue 18 in a real browser at 1366 px: 菜单管理, the header for a 业务员, 资料修改 and the
service-area tree. Screenshots land in artifacts/screenshots/."""
import pytest

from conftest import browser_login, switch

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sidebar_titles(page):
    return [t.strip() for t in page.locator(".sidebar .menu-item, .sidebar .menu-group-title").all_inner_texts()]


def test_admin_arranges_the_menu_and_restores_the_default(page, shot, cast):
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.accept()))
    browser_login(page, cast.a_admin, "inst")
    page.click(".sidebar >> text=菜单管理")
    page.fill("#group-title", "日常办理")
    page.fill("#group-order", "2")
    page.click("button:has-text('新增分组')")
    assert "已新增分组" in page.content()
    row = page.locator("tr", has=page.locator("input[value='可受理贷款查询']"))
    row.locator("select[name^=parent_]").select_option(label="日常办理")
    page.locator("tr", has=page.locator("input[value='员工账号']")).locator("input[name^=title_]").fill("员工花名册")
    page.locator("tr", has=page.locator("input[value='站内信']")).locator("input[name^=hidden_]").check()
    page.click("button:has-text('保存菜单')")
    assert "菜单已保存" in page.content()
    titles = sidebar_titles(page)
    assert "员工花名册" in titles and "站内信" not in titles
    assert titles.index("日常办理") < titles.index("可受理贷款查询")
    shot(page, "inst-menu-arranged")

    switch(page, cast.b_admin, "inst")  # another institution keeps 数银's default
    titles = sidebar_titles(page)
    assert "员工账号" in titles and "日常办理" not in titles and "站内信" in titles

    switch(page, cast.a_admin, "inst")
    page.goto(page.base + "/inst/menus/")
    page.click("button:has-text('恢复数银默认')")
    assert dialogs and "恢复为数银默认菜单" in dialogs[-1]
    assert "已恢复数银默认菜单" in page.content()
    assert "员工账号" in sidebar_titles(page)
