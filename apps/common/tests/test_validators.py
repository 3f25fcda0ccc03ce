import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, strategies as st

from apps.common.validators import USCC_AUTHORITIES, USCC_CHARS, uscc_check_char, validate_uscc

# Published codes (checked by hand against GB 32100-2015).
KNOWN_GOOD = ["91350100M000100Y43", "9144030071526726XG"]


@pytest.mark.parametrize("code", KNOWN_GOOD)
def test_known_good(code):
    assert validate_uscc(code.lower()) == code


@pytest.mark.parametrize("code,msg", [
    ("91350100M000100Y4", "18 位"), ("91350100M000100Y44", "校验位"), ("91350100M0001O0Y43", "无效字符"),
    ("91ABCDEFM000100Y43", "行政区划"),
])
def test_bad_codes(code, msg):
    with pytest.raises(ValidationError) as err:
        validate_uscc(code)
    assert msg in err.value.messages[0]


AUTHORITY_CATEGORY = [a + c for a, cats in USCC_AUTHORITIES.items() for c in cats]
body = st.tuples(st.sampled_from(AUTHORITY_CATEGORY), st.text("0123456789", min_size=6, max_size=6),
                 st.text(USCC_CHARS, min_size=9, max_size=9)).map("".join)


@given(body)
def test_generated_codes_validate_and_any_single_change_is_caught(first17):
    code = first17 + uscc_check_char(first17)
    assert validate_uscc(code) == code
    wrong = USCC_CHARS[(USCC_CHARS.index(code[-1]) + 1) % 31]
    with pytest.raises(ValidationError):
        validate_uscc(code[:-1] + wrong)


from apps.common.validators import mask_id, mask_mobile, resident_id_check_char, validate_resident_id  # noqa: E402


def test_resident_id_known_good():
    assert validate_resident_id("11010519491231002x") == "11010519491231002X"  # the GB 11643 example


@pytest.mark.parametrize("number,msg", [
    ("110105194912310021", "校验位"), ("11010519491331002X", "出生日期"), ("1101051949123100", "18 位"),
    ("11010530001231002X", "出生日期"), ("A1010519491231002X", "18 位"),
])
def test_resident_id_bad(number, msg):
    with pytest.raises(ValidationError) as err:
        validate_resident_id(number)
    assert msg in err.value.messages[0]


@given(st.dates(min_value=__import__("datetime").date(1920, 1, 1), max_value=__import__("datetime").date(2008, 1, 1)),
       st.text("0123456789", min_size=6, max_size=6), st.text("0123456789", min_size=3, max_size=3))
def test_resident_id_generated(birth, area, seq):
    first17 = area + birth.strftime("%Y%m%d") + seq
    number = first17 + resident_id_check_char(first17)
    assert validate_resident_id(number) == number


def test_masks():
    assert mask_id("11010519491231002X") == "110***********002X"
    assert mask_mobile("13812345678") == "138****5678"


def test_authority_table_is_gb_32100():
    """1 机构编制 (机关, 事业单位, 中央编办管理的群众团体, 其他), 5 民政 (社会团体, 民办非企业单位, 基金会, 其他),
    9 工商 (企业, 个体工商户, 农民专业合作社), Y 其他."""
    assert AUTHORITY_CATEGORY == ["11", "12", "13", "19", "51", "52", "53", "59", "91", "92", "93", "Y1"]


@pytest.mark.parametrize("first2,msg", [
    ("21", "第 1 位"), ("A1", "第 1 位"), ("N1", "第 1 位"), ("01", "第 1 位"),
    ("94", "第 2 位"), ("99", "第 2 位"), ("14", "第 2 位"), ("54", "第 2 位"), ("Y2", "第 2 位"), ("9A", "第 2 位"),
])
def test_authority_and_category_characters_are_checked_before_the_check_character(first2, msg):
    first17 = first2 + "350100M000100Y4"
    code = first17 + uscc_check_char(first17)  # a correct check character: only the first two are wrong
    with pytest.raises(ValidationError) as err:
        validate_uscc(code)
    assert msg in err.value.messages[0]


@pytest.mark.parametrize("typed", ["９１３５０１００Ｍ０００１００Ｙ４３", " 9135 0100 M000 100Y 43 ", "91350100m000100y43"])
def test_credit_code_typed_on_a_chinese_keyboard_is_folded(typed):
    assert validate_uscc(typed) == "91350100M000100Y43"


@pytest.mark.parametrize("typed", ["9135010０M000100Y4³", "91350100M000100Y4٣", "①1350100M000100Y43"])
def test_other_non_ascii_in_a_credit_code_is_refused(typed):
    with pytest.raises(ValidationError) as err:
        validate_uscc(typed)
    assert "不是可识别的数字或字母" in err.value.messages[0]


@pytest.mark.parametrize("typed", ["１１０１０５１９４９１２３１００２ｘ", "110105 19491231 002X", "11010519491231002x"])
def test_resident_id_typed_on_a_chinese_keyboard_is_folded(typed):
    assert validate_resident_id(typed) == "11010519491231002X"


@pytest.mark.parametrize("typed,char", [("1101051949123100²X", "²"), ("11010519491231002\u0663", "٣"),
                                        ("①1010519491231002X", "①"), ("1101051949123100\u200b2X", "U+200B")])
def test_other_non_ascii_in_an_id_number_is_refused_not_a_server_error(typed, char):
    with pytest.raises(ValidationError) as err:
        validate_resident_id(typed)
    assert f"“{char}”" in err.value.messages[0]
