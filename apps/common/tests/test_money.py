from decimal import Decimal

import pytest
from hypothesis import given, strategies as st

from apps.common.money import format_cny, to_money


def test_format_cny():
    assert format_cny(Decimal("1234.5")) == "¥1,234.50"
    assert format_cny("-0.01") == "-¥0.01"
    assert format_cny(0) == "¥0.00"


def test_floats_refused():
    with pytest.raises(TypeError):
        to_money(0.1)
    with pytest.raises(ValueError):
        to_money("abc")


@given(st.decimals(min_value=-10**12, max_value=10**12, places=2, allow_nan=False, allow_infinity=False))
def test_format_roundtrip(value):
    text = format_cny(value).replace("¥", "").replace(",", "")
    assert Decimal(text) == value


def test_chinese_by_default_even_for_english_browsers(client, db):
    resp = client.get("/ops/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert resp["Content-Language"] == "zh-hans" and "密码" in resp.content.decode()


def test_english_when_chosen(client, db):
    client.cookies["django_language"] = "en"
    resp = client.get("/ops/login/")
    assert resp["Content-Language"] == "en" and "Password" in resp.content.decode()
