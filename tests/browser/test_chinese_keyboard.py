"""A customer manager types an ID number as a Chinese input method gives it: a superscript digit is refused in
Chinese on the page, full-width digits are shown back folded and registered as ASCII; the platform page of
flagged duplicates (issue 17 §1)."""
import pytest

from apps.members.models import Member
from conftest import browser_login
from tests.fixtures.files import PNG

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_member_registration_with_chinese_keyboard_digits(page, shot, cast, tmp_path, settings):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "media"
    photo = tmp_path / "id.png"
    photo.write_bytes(PNG)
    browser_login(page, cast.cm, "ops")
    page.goto(f"{page.base}/ops/members/new/")
    page.fill("#id_real_name", "张三")
    page.fill("#id_id_number", "１１０１０５１９４９１２３１００²ｘ")
    page.fill("#id_mobile", "１３８ １２３４ ５６７８")
    page.fill("#id_address", "北京市西城区")
    page.set_input_files("#id_id_photo_front", str(photo))
    page.set_input_files("#id_id_photo_back", str(photo))
    page.click("button:has-text('提交登记')")
    assert "“²”不是可识别的数字或字母" in page.content()
    assert page.input_value("#id_mobile") == "13812345678"  # shown back folded
    shot(page, "chinese-keyboard-refused")
    page.fill("#id_id_number", "１１０１０５１９４９１２３１００２ｘ")
    page.set_input_files("#id_id_photo_front", str(photo))
    page.set_input_files("#id_id_photo_back", str(photo))
    page.click("button:has-text('提交登记')")
    assert "已登记会员 张三" in page.content()
    assert Member.objects.get().id_number == "11010519491231002X"
    shot(page, "chinese-keyboard-registered")

    Member.objects.update(identity_conflict=True)
    browser_login(page, cast.admin, "platform")
    page.goto(f"{page.base}/platform/identity-duplicates/")
    assert "重复身份标识核对" in page.content() and "110***********002X" in page.content()
    shot(page, "identity-duplicates")
