from decimal import Decimal

import pytest

from apps.common.numbers import decimal_text, percent_text
from apps.common.templatetags.shuyin import percent


@pytest.mark.parametrize("rate,places,shown", [
    (Decimal("0.012"), 2, "1.2%"), (Decimal("0.0125"), 2, "1.25%"), (Decimal("0.3"), 2, "30%"),
    (Decimal("0.01"), 2, "1%"), (0.123456, 1, "12.3%"), (Decimal("0"), 2, "0%"), (None, 2, "-"),
])
def test_percent_keeps_the_digits(rate, places, shown):
    assert percent_text(rate, places) == shown == percent(rate, places)


@pytest.mark.parametrize("value,shown", [(Decimal("6.500"), "6.5"), (Decimal("12.000"), "12"), (Decimal("7"), "7"),
                                         (None, "")])
def test_decimal_text_drops_trailing_zeros(value, shown):
    assert decimal_text(value) == shown
