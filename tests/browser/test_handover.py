"""客户移交 in the browser: cm2 registers a client cm already registered, is told so and asks for a hand-over on
the same page; the team leader approves it in 客户移交; the client is then in cm2's member search — screenshots."""
import pytest

from tests.browser.helpers import confirm, sign_in as browser_login, switch
from tests.fixtures.files import png_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PNG = {"name": "id.png", "mimeType": "image/png", "buffer": png_bytes()}


def test_handover_in_the_browser(page, shot, cast):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from apps.applications.models import Handover
    from apps.members import services

    services.member_register(actor=cast.cm, real_name="周七", id_number="11010519491231002X", mobile="13912340001",
                             address="北京市西城区", client_type="individual",
                             id_photo_front=SimpleUploadedFile("f.png", PNG["buffer"]),
                             id_photo_back=SimpleUploadedFile("b.png", PNG["buffer"]))

    browser_login(page, cast.cm2, "ops")
    page.goto(f"{page.base}/ops/members/new/")
    page.fill("#id_real_name", "周七")
    page.fill("#id_id_number", "11010519491231002X")
    page.fill("#id_mobile", "13912340001")
    page.fill("#id_address", "北京市西城区")
    page.set_input_files("#id_id_photo_front", PNG)
    page.set_input_files("#id_id_photo_back", PNG)
    page.click("button:has-text('提交登记')")
    assert "已由其他客户经理登记" in page.content()
    page.fill("#id_handover_reason", "客户本人来电，要求改由我服务")
    shot(page, "handover-1-register-refused")
    page.click("button:has-text('提交移交申请')")
    assert "提交移交申请，审批结果将以站内信通知您" in page.content()
    shot(page, "handover-2-requested")

    switch(page, cast.tl, "ops")
    page.click("text=客户移交")
    page.fill("[data-testid=handovers] input[name=note]", "已与客户确认")
    shot(page, "handover-3-leader-list")
    assert "周七" in confirm(page, "[data-testid=approve]")
    assert "已同意移交" in page.content()
    shot(page, "handover-4-approved")
    assert Handover.objects.get().status == "approved"

    switch(page, cast.cm2, "ops")
    page.goto(f"{page.base}/ops/members/?q=13912340001")
    assert "周七" in page.content()
