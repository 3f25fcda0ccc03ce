from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from apps.common.money import format_cny
from apps.common.numbers import decimal_text, percent_text, score_text
from apps.common.pagecache import DRAWING
from apps.common.validators import mask_id, mask_mobile

register = template.Library()


@register.filter
def yuan(value):
    """¥1,234.56"""
    return format_cny(value)


@register.filter
def percent(value, places=2):
    """0.012 → 1.2% (see ``apps.common.numbers.percent_text``)."""
    return percent_text(value, places)


@register.filter
def score(value):
    """A dispatch score to two decimals, the same on every page (see ``apps.common.numbers.score_text``)."""
    return score_text(value)


@register.filter
def plain(value):
    """A decimal as typed, without trailing zeros: 4.350 → 4.35 (see ``apps.common.numbers.decimal_text``)."""
    return decimal_text(value)


@register.filter
def dt(value):
    """2026-11-28 14:05 in Asia/Shanghai."""
    if not value:
        return ""
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


@register.simple_tag
def badge(label, tone="secondary"):
    return format_html('<span class="badge text-bg-{}">{}</span>', tone, label)


@register.simple_tag(takes_context=True)
def query_replace(context, **kwargs):
    """The current query string with some parameters replaced (for paging and sorting links)."""
    params = context["request"].GET.copy()
    for key, value in kwargs.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = value
    return params.urlencode()


@register.inclusion_tag("snippets/sort_header.html", takes_context=True)
def sort_header(context, key, label):
    """A table header that sorts by ``key``; clicking again reverses."""
    current = context.get("sort", "")
    if current == key:
        new, arrow = f"-{key}", "▲"
    elif current == f"-{key}":
        new, arrow = key, "▼"
    else:
        new, arrow = key, ""
    params = context["request"].GET.copy()
    params["sort"] = new
    params.pop("page", None)
    return {"label": label, "query": params.urlencode(), "arrow": arrow}


@register.filter
def bs(field, size=""):
    """Render a form field with Bootstrap classes (and is-invalid when it has errors)."""
    widget = field.field.widget
    kind = getattr(widget, "input_type", "")
    if kind in ("checkbox", "radio"):
        css = "form-check-input"
    elif widget.__class__.__name__ in ("Select", "NullBooleanSelect", "SelectMultiple"):
        css = "form-select"
    else:
        css = "form-control"
    if size:
        css += f" {css.split('-')[0]}-{css.split('-')[1]}-{size}" if css != "form-check-input" else ""
    if field.errors:
        css += " is-invalid"
    existing = widget.attrs.get("class", "")
    return field.as_widget(attrs={"class": f"{existing} {css}".strip()})


register.filter("mask_id", mask_id)
register.filter("mask_mobile", mask_mobile)


@register.filter
def sub(value, other):
    """value − other (for Decimal amounts in templates)."""
    return (value or 0) - (other or 0)


@register.simple_tag(takes_context=True)
def live(context, template_name):
    """Include ``template_name``, a part of the layout that changes with every request (clock, unread messages,
    queue badges). On a page drawn for the page cache it is marked, so that each response from the cache draws it
    again (``apps.common.pagecache``)."""
    html = context.template.engine.get_template(template_name).render(context)
    if context.get(DRAWING):
        html = f"<!--live:{template_name}-->{html}<!--/live-->"
    return mark_safe(html)  # noqa: S308 — a template's own output
