from decimal import Decimal

import pytest

from apps.common.numbers import decimal_text, percent_text, score_text
from apps.common.templatetags.shuyin import percent, plain, score


@pytest.mark.parametrize("rate,places,shown", [
    (Decimal("0.012"), 2, "1.2%"), (Decimal("0.0125"), 2, "1.25%"), (Decimal("0.3"), 2, "30%"),
    (Decimal("0.01"), 2, "1%"), (0.123456, 1, "12.3%"), (Decimal("0"), 2, "0%"), (None, 2, "-"),
])
def test_percent_keeps_the_digits(rate, places, shown):
    assert percent_text(rate, places) == shown == percent(rate, places)


@pytest.mark.parametrize("value,shown", [(Decimal("6.500"), "6.5"), (Decimal("12.000"), "12"), (Decimal("7"), "7"),
                                         (None, "")])
def test_decimal_text_drops_trailing_zeros(value, shown):
    assert decimal_text(value) == shown == plain(value)


@pytest.mark.parametrize("value,shown", [(Decimal("62.1479"), "62.15"), (Decimal("62.145"), "62.15"),
                                         (62.1, "62.10"), (Decimal("0"), "0.00"), (100, "100.00"), (None, "-")])
def test_scores_have_two_decimals(value, shown):
    assert score_text(value) == shown == score(value)


def test_every_score_on_a_page_goes_through_the_score_filter():
    """One way to show a score: no template prints a score raw or with its own floatformat."""
    import re
    from pathlib import Path

    from django.conf import settings

    shown = re.compile(r"{{\s*[\w.]*score[\w.]*\s*(\|[^}]*)?}}")
    offenders = []
    for path in Path(settings.BASE_DIR, "templates").rglob("*.html"):
        for match in shown.finditer(path.read_text()):
            if "|score" not in (match.group(1) or ""):
                offenders.append(f"{path.name}: {match.group(0)}")
    assert offenders == []
