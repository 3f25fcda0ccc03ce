from datetime import datetime

from django import template

from apps.common.money import format_cny

register = template.Library()


@register.filter
def report_values(report, obj) -> list:
    """A report row for the screen: money as ¥1,234.56, times as 2026-11-28 14:05."""
    out = []
    for column, value in zip(report.columns, report.values(obj)):
        if value is not None and column.money:
            value = format_cny(value)
        elif isinstance(value, datetime):
            value = f"{value:%Y-%m-%d %H:%M}"
        out.append(value)
    return out
