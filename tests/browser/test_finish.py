"""Issue 19's finishing points in a real browser, each at 1366 px and on a 390 px phone, with screenshots in
artifacts/screenshots/ (finish-*): the 省/市/区 cascader (preselected from the client's address, linked lists, the
queue filter), the confirm modal (the consequence stated, Esc cancels, the Enter typed in a box does not confirm,
a double Enter posts once), the report chart over the filter's range, list tables as stacked cards on a phone with
no page scrolling sideways in any menu of the ops and platform areas, and each role's to-do cards."""
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.browser.helpers import DESKTOP, PHONE, cancel, no_sideways_scroll, sign_in, switch, wait_option

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_cascader_and_confirm_modal(page, shot, cast, make_member, draft, product):
    from apps.applications import services as review
    from apps.applications.models import Application, StatusChange

    member = make_member()
    type(member).objects.filter(pk=member.pk).update(address="广东省深圳市福田区福华三路 88 号")
    sign_in(page, cast.cm, "ops")
    for size, tag in ((DESKTOP, "1366"), (PHONE, "390")):
        page.set_viewport_size(size)
        page.goto(f"{page.base}/ops/members/{member.pk}/apply/")
        # preselected from the client's address: 广东省 / 深圳市 / 福田区, nothing typed
        assert page.locator("#id_region_code_province option:checked").inner_text() == "广东省"
        assert page.locator("#id_region_code_city option:checked").inner_text() == "深圳市"
        assert page.locator("#id_region_code option:checked").inner_text() == "福田区"
        assert page.locator("input[name=region_code]").count() == 0  # no box to type a code in
        assert no_sideways_scroll(page, size["width"])
        shot(page, f"finish-1-cascader-default-{tag}")
    page.set_viewport_size(DESKTOP)
    # another province: its cities load, the district waits for a city
    page.select_option("#id_region_code_province", label="浙江省")
    wait_option(page, "#id_region_code_city", "杭州市")
    assert page.locator("#id_region_code").is_disabled()
    page.select_option("#id_region_code_city", label="杭州市")
    wait_option(page, "#id_region_code", "西湖区")
    page.select_option("#id_region_code", label="西湖区")
    page.select_option("#id_product", label=product.name)
    page.fill("#id_amount", "60000")
    page.fill("#id_term_months", "12")
    page.fill("#id_purpose", "经营周转")
    page.check("#id_consent")
    shot(page, "finish-2-cascader-picked-1366")
    page.click("button:has-text('保存草稿')")
    assert "请上传资料后提交" in page.content()
    assert Application.objects.get(member=member).region.code == "330106"

    # the queue filter: a province alone narrows the queue (a municipality's lone 市辖区 is picked for the user)
    other = draft()  # 南山区
    page.goto(f"{page.base}/ops/queues/mine/")
    page.select_option("#id_region_province", label="浙江省")
    page.click("button:has-text('搜索')")
    table = page.inner_text("table")
    assert Application.objects.get(member=member).order_no in table and other.order_no not in table
    shot(page, "finish-3-queue-filter-1366")
    page.set_viewport_size(PHONE)
    page.reload()  # drawn at phone size (no sidebar caught sliding away)
    assert no_sideways_scroll(page)
    # the queue's table is a stack of cards: each value carries its column's name
    label = page.evaluate("getComputedStyle(document.querySelector('table tbody td'), '::before').content")
    assert "单号" in label
    shot(page, "finish-4-queue-cards-390")
    page.select_option("#id_region_province", label="北京市")
    wait_option(page, "#id_region", "西城区")  # the lone 市辖区 was picked for the user, its districts listed
    assert page.locator("#id_region_city").input_value() == "1101"

    # the confirm modal on 贷审拒绝: the consequence with the amount, Esc cancels, the Enter of the reason box
    # does not confirm, a double Enter on the dialog posts once
    app = draft()
    review.application_submit(actor=cast.cm, application_id=app.pk)
    review.cs_pass(actor=cast.cs, application_id=app.pk)
    switch(page, cast.lr, "ops")
    page.set_viewport_size(DESKTOP)
    page.goto(f"{page.base}/ops/applications/{app.pk}/")
    box = page.get_by_label("贷审拒绝原因（必填）")
    box.fill("收入证明与流水不符")
    said = cancel(page, page.locator("form:has(#id_comment_lr_reject) button"), key="Escape")
    assert "¥50,000.00" in said and "将办结" in said
    assert page.evaluate("document.activeElement.textContent.trim()") == "贷审拒绝"  # focus back on the button
    box.press("Enter")  # submitting from the box opens the dialog and leaves it open
    page.locator("[data-testid=confirm-modal]").wait_for(state="visible")
    page.wait_for_timeout(600)
    assert page.locator("[data-testid=confirm-modal]").is_visible()
    assert Application.objects.get(pk=app.pk).status == "lr_review"
    shot(page, "finish-5-modal-reject-1366")
    page.keyboard.press("Escape")
    page.set_viewport_size(PHONE)
    page.locator("form:has(#id_comment_lr_reject) button").click()
    page.locator("[data-testid=confirm-modal]").wait_for(state="visible")
    ok = page.locator("[data-testid=confirm-ok]").bounding_box()
    assert ok["x"] >= 0 and ok["x"] + ok["width"] <= 390 and ok["y"] + ok["height"] <= 844
    shot(page, "finish-6-modal-reject-390")
    with page.expect_navigation():
        page.keyboard.press("Enter")
        page.keyboard.press("Enter")
    assert "贷审拒绝" in page.content()
    assert StatusChange.objects.filter(application=app, to_status="lr_rejected").count() == 1


def test_report_range_tables_menus_and_todos(page, shot, cast, make_member, draft):
    from django.utils import timezone as tz

    from apps.applications.models import Handover
    from apps.complaints import services as complaints

    # report: the chart spans the filter's dates
    sign_in(page, cast.lr, "ops")
    today = timezone.localdate()
    start, end = today - timedelta(days=20), today + timedelta(days=4)
    for size, tag in ((DESKTOP, "1366"), (PHONE, "390")):
        page.set_viewport_size(size)
        page.goto(f"{page.base}/ops/reports/?date_from={start}&date_to={end}")
        rng = page.inner_text("[data-testid=trend-range]")
        assert f"{start:%Y-%m-%d} — {end:%Y-%m-%d}" in rng and "25 天" in rng
        ticks = page.locator("[data-testid=trend-tick]").all_text_contents()
        assert ticks[0] == f"{start:%m-%d}" and ticks[-1] == f"{end:%m-%d}"
        assert no_sideways_scroll(page, size["width"])
        shot(page, f"finish-7-report-range-{tag}")

    # to-dos: 客户组长's hand-overs, 投诉处理's screening, 业务部's forwarded suggestion and finance desk
    Handover.objects.create(member=make_member(), from_cm=cast.cm, to_cm=cast.cm2, reason="客户要求改由二组服务",
                            requested_at=tz.now())
    complaints.complaint_file(actor=cast.cm2, subject="客户经理未回电", content="客户反映三天未回电。",
                              contact_person="赵女士", contact_phone="13700001111", on_behalf_of_client=True)
    s = complaints.complaint_file(actor=cast.cm2, subject="建议增加夜间客服", content="希望晚上也能联系到客服。",
                                  contact_person="钱先生", contact_phone="13700002222", on_behalf_of_client=True)
    complaints.screen(actor=cast.cc, complaint_id=s.pk, decision="suggestion", forwarded_to="role:business_dept",
                      reply="感谢您的建议，已转业务部评估。")
    for user, title, count in ((cast.tl, "待审批的客户移交", "1"), (cast.cc, "待我处理的投诉", "1"),
                               (cast.bd, "待我处理的投诉", "1")):
        switch(page, user, "ops")
        for size, tag in ((DESKTOP, "1366"), (PHONE, "390")):
            page.set_viewport_size(size)
            page.goto(f"{page.base}/ops/")
            card = page.locator(".card", has=page.locator(f"text={title}")).first
            assert count in card.inner_text(), card.inner_text()
            assert no_sideways_scroll(page, size["width"])
            shot(page, f"finish-8-home-{user.username}-{tag}")
        page.set_viewport_size(DESKTOP)
        page.locator(".card", has=page.locator(f"text={title}")).first.locator("a").first.click()
        page.wait_for_load_state()
        assert page.url != f"{page.base}/ops/"

    # every menu page of the ops (业务部, 客户组长) and platform areas on a phone: nothing scrolls sideways
    draft(), draft()
    for user, area in ((cast.bd, "ops"), (cast.tl, "ops"), (cast.of, "ops"), (cast.admin, "platform")):
        switch(page, user, area)
        page.set_viewport_size(PHONE)
        hrefs = page.eval_on_selector_all(".sidebar a.menu-item", "els => els.map(e => e.getAttribute('href'))")
        assert hrefs, user.username
        wide = []
        for href in dict.fromkeys(hrefs):
            page.goto(page.base + href)
            if not no_sideways_scroll(page):
                wide.append((href, page.evaluate("document.scrollingElement.scrollWidth")))
                shot(page, f"finish-9-wide-{area}-{href.strip('/').replace('/', '-')}")
        assert not wide, wide
    shot(page, "finish-9-platform-last-menu-390")
