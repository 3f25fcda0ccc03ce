import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, strategies as st

from apps.common.validators import USCC_CHARS, uscc_check_char, validate_uscc

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


body = st.tuples(st.sampled_from("159Y"), st.sampled_from("123"), st.text("0123456789", min_size=6, max_size=6),
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
