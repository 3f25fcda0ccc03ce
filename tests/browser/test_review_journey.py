"""cm registers a client and submits an application, cs passes it, lr asks for a supplement, cm adds a
document and resubmits, lr confirms it — in a real browser, in Chinese, with screenshots."""
import pytest

from tests.browser.helpers import cancel, confirm, pick_region, sign_in as browser_login, switch
from tests.fixtures.files import png_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PNG = {"name": "id.png", "mimeType": "image/png", "buffer": png_bytes()}


def test_review_journey(page, shot, cast):
    from apps.applications.models import Application
    from apps.products.models import Product

    Product.objects.create(code="b-credit", name="浏览器测试信用贷", category="credit", hold_amount="1000",
                           checklist=["身份证", "收入证明"])

    browser_login(page, cast.cm, "ops")
    page.click("text=会员管理")
    page.click("text=登记新客户")
    page.fill("#id_real_name", "赵六")
    page.fill("#id_id_number", "11010519491231002X")
    page.fill("#id_mobile", "13912340000")
    page.fill("#id_address", "北京市西城区")
    page.set_input_files("#id_id_photo_front", PNG)
    page.set_input_files("#id_id_photo_back", PNG)
    shot(page, "review-1-register")
    page.click("button:has-text('提交登记')")
    assert "已登记会员 赵六" in page.content() and "110***********002X" in page.content()
    member_url = page.url

    switch(page, cast.cs, "ops")
    page.goto(member_url)
    confirm(page, "button:has-text('人工认证通过')")
    assert "已认证" in page.content()

    switch(page, cast.cm, "ops")
    page.goto(member_url)
    page.click("text=录入贷款申请")
    page.select_option("#id_product", label="浏览器测试信用贷")
    page.fill("#id_amount", "80000")
    page.fill("#id_term_months", "12")
    # the district defaults from the client's address (北京市西城区); the CM picks another one
    assert page.locator("#id_region_code option:checked").inner_text() == "西城区"
    pick_region(page, "region_code", "广东省", "深圳市", "南山区")
    page.fill("#id_purpose", "装修")
    page.check("#id_consent")
    page.click("button:has-text('保存草稿')")
    assert "请上传资料后提交" in page.content()
    app_url = page.url
    for name in ("身份证", "收入证明"):
        page.select_option("#id_name", name)
        page.set_input_files("#id_file", PNG)
        page.click("button:has-text('上传')")
    confirm(page, "button:has-text('提交审核')")
    assert "待客服审核" in page.content()
    shot(page, "review-2-submitted")

    switch(page, cast.cs, "ops")
    page.click("text=客服审核 >> nth=0")
    page.click(f"text={Application.objects.get().order_no}")
    confirm(page, "button:has-text('客服审核通过')")
    assert "待贷审审核" in page.content()

    switch(page, cast.lr, "ops")
    page.goto(app_url)
    # each action that needs a reason has its own card with a labelled box; labels are actions, not statuses
    assert page.get_by_label("贷审拒绝原因（必填）").is_visible()
    assert page.locator("[data-testid=act-park]").inner_text() == "暂缓出方案"
    assert page.locator("[data-testid=act-card-supplement]").get_by_label("需补充的资料（必填）").is_visible()
    shot(page, "review-3a-review-bar")
    page.fill("input[name=missing]", "请补充近 6 个月银行流水")
    # the modal asks first: Esc cancels and nothing is posted; the second time it is confirmed
    said_first = cancel(page, "button:has-text('要求补充资料')", key="Escape")
    assert "退回客户经理" in said_first and page.locator("[data-testid=act-card-supplement]").is_visible()
    assert Application.objects.get().status == "lr_review"
    page.click("button:has-text('要求补充资料')")
    page.locator("[data-testid=confirm-modal]").wait_for(state="visible")
    assert page.evaluate("document.activeElement.dataset.testid") == "confirm-ok"
    page.keyboard.press("Tab")  # focus stays inside the dialog
    assert page.evaluate("document.activeElement.closest('[role=dialog]') !== null")
    shot(page, "review-3b-supplement-modal")
    confirm(page)
    assert "待补充资料" in page.content()
    shot(page, "review-3-supplement")

    switch(page, cast.cm, "ops")
    page.goto(app_url)
    confirm(page, "button:has-text('重新提交')")
    assert "尚未补充任何内容，不能重新提交" in page.content()  # nothing added yet
    page.select_option("#id_name", "其他补充资料")
    page.set_input_files("#id_file", PNG)
    page.click("button:has-text('上传')")
    confirm(page, "button:has-text('重新提交')")
    assert "待贷审审核" in page.content()

    switch(page, cast.lr, "ops")
    page.goto(app_url)
    confirm(page, "button:has-text('贷审通过')")
    assert "待派发" in page.content()
    shot(page, "review-4-ready")
    app = Application.objects.get()
    # 待派发 hands over to dispatch at once; no institution serves this test's region, so it is back with 贷审
    assert app.history.filter(from_status="lr_review", to_status="ready").exists()
    assert app.status == "redispatch"
