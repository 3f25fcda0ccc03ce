"""机构后台 pages of issue 18 in a real browser at 1366 px: 菜单管理, the header for a 业务员, 资料修改 and the
service-area tree. Screenshots land in artifacts/screenshots/."""
import pytest

from tests.browser.helpers import confirm, sign_in as browser_login, switch

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sidebar_titles(page):
    return [t.strip() for t in page.locator(".sidebar .menu-item, .sidebar .menu-group-title").all_inner_texts()]


def test_admin_arranges_the_menu_and_restores_the_default(page, shot, cast):
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
    assert "恢复为数银默认菜单" in confirm(page, "button:has-text('恢复数银默认')")
    assert "已恢复数银默认菜单" in page.content()
    assert "员工账号" in sidebar_titles(page)


def test_details_edit_then_platform_review(page, shot, cast):
    from apps.accounts.models import Organization

    Organization.objects.filter(pk=cast.inst_a.pk).update(credit_code="9144030071526726XG")
    browser_login(page, cast.a_admin, "inst")
    page.click(".sidebar >> text=资料修改")
    page.fill("#id_contact_name", "王联系")
    page.fill("#id_contact_phone", "0755-86001234")
    page.fill("#id_refund_bank_name", "招商银行深圳分行营业部")
    page.fill("#id_refund_account_name", "甲机构")
    page.fill("#id_refund_account_no", "755912345678")
    page.fill("#id_legal_representative", "李法人")
    page.fill("#id_name", "甲机构（深圳）有限公司")
    page.click("button:has-text('保存')")
    html = page.content()
    assert "主体信息变更已提交数银审核" in html and "联系信息与退款账户已保存" in html
    assert "主体信息变更待数银审核" in html
    shot(page, "inst-details-edit")

    switch(page, cast.admin, "platform")
    page.click(".sidebar >> text=机构资料变更审核")
    assert "甲机构（深圳）有限公司" in page.content()
    shot(page, "platform-detail-change-review")
    confirm(page, "button:has-text('通过')")
    assert "已通过，机构主体信息已更新" in page.content()


def test_officer_sees_the_header_figures(page, shot, cast, fund):
    Organization = __import__("apps.accounts.models", fromlist=["Organization"]).Organization
    Organization.objects.filter(pk=cast.inst_a.pk).update(follower=cast.of)
    fund(cast.inst_a, clerk=cast.st, margin="3000.00", risk="1500.00")
    browser_login(page, cast.a_officer, "inst")
    bar = page.inner_text("header.topbar")
    assert "甲机构" in bar and "¥3,000.00" in bar and "¥1,500.00" in bar and "跟单经理" in bar
    assert "保证金头寸不足，请告知本机构管理员充值" in bar
    shot(page, "inst-header-officer")


def test_service_area_tree_with_search_and_summary(page, shot, cast):
    from apps.dispatch.models import Profile
    from apps.regions.models import Region

    browser_login(page, cast.admin, "platform")
    page.goto(f"{page.base}/platform/dispatch/profiles/{cast.inst_b.pk}/")
    tree = page.locator("[data-region-tree]")
    tree.locator("[data-search]").fill("杭州")
    tree.locator("label", has_text="杭州市").locator("input").check()
    tree.locator("[data-search]").fill("")
    tree.locator("label", has_text="广东省").locator("input").check()
    assert "浙江省杭州市；广东省全省" in tree.locator("[data-summary]").inner_text()
    tree.locator("[data-search]").fill("南山")  # a district under the chosen province: uncheck it alone
    nanshan = Region.objects.get(code="440305").pk  # (黑龙江 has a 南山区 too)
    tree.locator(f"[data-node='{nanshan}']").uncheck()
    summary = tree.locator("[data-summary]").inner_text()
    assert "广东省全省" not in summary and "深圳市福田区" in summary and "南山区" not in summary
    tree.locator("[data-search]").fill("")
    shot(page, "platform-service-area-tree")
    page.get_by_label("个人", exact=True).check()
    page.click("button:has-text('保存')")
    assert "派发参数已保存" in page.content()
    codes = set(Profile.objects.get(institution=cast.inst_b).areas.values_list("region__code", flat=True))
    assert "3301" in codes and "4401" in codes and "440304" in codes  # 杭州市, 广州市, 深圳市福田区
    assert not codes & {"44", "4403", "440305"}
    assert Region.objects.filter(code__in=codes, province_code="44").count() == len(codes) - 1
    page.goto(f"{page.base}/platform/dispatch/profiles/{cast.inst_b.pk}/")
    assert page.locator("[data-testid=areas-summary]").inner_text().startswith("浙江省杭州市；广东省广州市")


def test_dispatch_profile_shows_margin_and_area(page, shot, cast, fund, product):
    from apps.dispatch import services
    from apps.regions.models import Region

    fund(cast.inst_a, clerk=cast.st, margin="3500.00")
    profile = services.profile_ensure(cast.inst_a)
    services.profile_areas_set(profile=profile, regions=[Region.objects.get(code="44"), Region.objects.get(code="3301")])
    services.profile_products_set(profile=profile, products=[product])
    browser_login(page, cast.a_admin, "inst")
    page.click(".sidebar >> text=派发参数详情")
    margin = page.locator("[data-testid=margin]").inner_text()
    assert "¥3,500.00" in margin and "3 笔" in margin
    assert page.locator("[data-testid=areas-summary]").inner_text() == "浙江省杭州市；广东省全省"
    shot(page, "inst-dispatch-profile-margin")
