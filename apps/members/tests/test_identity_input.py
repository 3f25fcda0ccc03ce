"""Member registration with ID numbers typed on a Chinese keyboard (issue 17 §1): a superscript digit is a
Chinese error, not a server error; full-width digits register the ASCII number, and the same person typed again
in either width is refused as already registered; the database refuses a non-ASCII number from anywhere."""
import pytest
from django.db import IntegrityError, transaction

from apps.members.models import Member

from tests.fixtures.workflow import png

pytestmark = pytest.mark.django_db

ID = "11010519491231002X"
FULL_WIDTH_ID = "１１０１０５１９４９１２３１００２ｘ"


def data(**extra):
    return {"real_name": "张三", "id_number": ID, "mobile": "13812345678", "address": "北京",
            "client_type": "individual", "id_photo_front": png(), "id_photo_back": png(), **extra}


@pytest.mark.parametrize("typed,char", [("1101051949123100²X", "²"), ("11010519491231002\u0663", "٣"),
                                        ("①1010519491231002X", "①")])
def test_a_non_ascii_digit_is_a_chinese_error_not_a_server_error(client, cast, login, typed, char):
    login(cast.cm)
    resp = client.post("/ops/members/new/", data(id_number=typed))
    assert resp.status_code == 200
    assert f"“{char}”不是可识别的数字或字母，请用半角数字 0–9 和英文字母填写。" in resp.content.decode()
    assert not Member.objects.exists()


def test_full_width_digits_register_the_ascii_number_and_the_same_person_again_is_a_duplicate(client, cast, login):
    login(cast.cm)
    resp = client.post("/ops/members/new/", data(id_number=FULL_WIDTH_ID, mobile="１３８ １２３４ ５６７８"), follow=True)
    assert "已登记会员 张三" in resp.content.decode()
    member = Member.objects.get()
    assert member.id_number == ID and member.mobile == "13812345678"
    for typed in (ID, FULL_WIDTH_ID, "110105 19491231 002x"):
        page = client.post("/ops/members/new/", data(id_number=typed)).content.decode()
        assert "该身份证号的客户已由您登记" in page
    assert Member.objects.count() == 1


def test_the_page_shows_the_number_back_folded(client, cast, login):
    login(cast.cm)
    page = client.post("/ops/members/new/", data(id_number=FULL_WIDTH_ID, mobile="１３８")).content.decode()
    assert f'value="{ID}"' in page and 'value="138"' in page and "１" not in page
    assert not Member.objects.exists()


def test_a_full_width_search_finds_the_member(client, cast, login, make_member):
    member = make_member()
    login(cast.cm)
    full = member.id_number.translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)})
    assert member.real_name in client.get("/ops/members/", {"q": full}).content.decode()


@pytest.mark.parametrize("field,value", [("id_number", FULL_WIDTH_ID), ("id_number", "11010519491231002x"),
                                         ("mobile", "１３８１２３４５６７８")])
def test_the_database_refuses_a_non_ascii_identifier_from_anywhere(cast, make_member, field, value):
    member = make_member()
    with pytest.raises(IntegrityError), transaction.atomic():
        Member.objects.filter(pk=member.pk).update(**{field: value})
