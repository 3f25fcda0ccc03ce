"""Numbers as people read them on the pages: decimals without trailing zeros, rates as percentages."""
from decimal import ROUND_HALF_UP, Decimal


def decimal_text(value) -> str:
    """6.500 → "6.5", 12.000 → "12" (rates shown as typed, without trailing zeros); None → ""."""
    if value is None:
        return ""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def percent_text(value, places: int = 2) -> str:
    """A rate as a percentage without rounding away its digits: 0.012 → "1.2%", 0.0125 → "1.25%", 0.3 → "30%"
    (at most ``places`` decimals); None or "" → "-"."""
    if value is None or value == "":
        return "-"
    pct = (Decimal(str(value)) * 100).quantize(Decimal(1).scaleb(-int(places)), rounding=ROUND_HALF_UP)
    return f"{decimal_text(pct)}%"


def score_text(value) -> str:
    """A dispatch score (综合评分 and its parts) as every page shows it: two decimals, 62.1479 → "62.15";
    None or "" → "-"."""
    if value is None or value == "":
        return "-"
    return f"{Decimal(str(value)).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):f}"
