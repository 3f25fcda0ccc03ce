"""Money helpers: amounts are ``Decimal`` with two places, in yuan (CNY), never floats."""
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import models

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def to_money(value) -> Decimal:
    """Convert an int, str or Decimal to a 2-place Decimal; floats are refused."""
    if isinstance(value, float):
        raise TypeError("money must not be a float")
    try:
        return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)
    except (InvalidOperation, TypeError) as exc:
        raise ValueError(f"not an amount: {value!r}") from exc


def format_cny(value, *, symbol: bool = True) -> str:
    if value is None or value == "":
        return ""
    amount = to_money(value)
    sign = "-" if amount < 0 else ""
    text = f"{abs(amount):,.2f}"
    return f"{sign}¥{text}" if symbol else f"{sign}{text}"


class MoneyField(models.DecimalField):
    """DecimalField(max_digits=16, decimal_places=2): up to 99,999,999,999,999.99 yuan."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_digits", 16)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        return name, "apps.common.money.MoneyField", args, kwargs
