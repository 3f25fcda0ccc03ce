from django import template
from django.utils.html import format_html

from ..visibility import sees_settlement_steps, status_label

register = template.Library()


@register.simple_tag(takes_context=True)
def app_status(context, app):
    """The application's status badge as the signed-in user may see it (apps.applications.visibility)."""
    memo = context.render_context
    if "sees_settlement_steps" not in memo:
        memo["sees_settlement_steps"] = sees_settlement_steps(context["request"].user)
    label, tone = status_label(app.status, steps=memo["sees_settlement_steps"])
    return format_html('<span class="badge text-bg-{}" data-testid="app-status">{}</span>', tone, label)
