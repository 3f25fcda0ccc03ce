from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

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


_DETAIL_MARK = 987654321


@register.simple_tag(takes_context=True)
def queue_rows(context, page):
    """The rows of a work queue page (templates/applications/queue.html), built here in one pass: the same HTML the
    template loop drew, at a fraction of its cost (a 50-row page made ~600 variable lookups, 50 URL reversals,
    50 status tags and 100 translations per request). Empty string for an empty page."""
    from django.urls import reverse
    from django.utils import timezone
    from django.utils.html import escape
    from django.utils.translation import gettext

    from apps.common.money import format_cny
    from apps.common.validators import mask_mobile

    memo = context.render_context
    if "sees_settlement_steps" not in memo:
        memo["sees_settlement_steps"] = sees_settlement_steps(context["request"].user)
    steps = memo["sees_settlement_steps"]
    link = escape(reverse("ops:application_detail", args=[_DETAIL_MARK])).replace(str(_DETAIL_MARK), "{}")
    manual = f' <span class="badge text-bg-danger">{escape(gettext("人工干预"))}</span>'
    months = escape(gettext("个月"))
    rows = []
    for a in page:
        label, tone = status_label(a.status, steps=steps)
        submitted = timezone.localtime(a.submitted_at).strftime("%Y-%m-%d %H:%M") if a.submitted_at else "-"
        rows.append(
            f'<tr><td><a href="{link.format(a.pk)}">{escape(a.order_no)}</a>{manual if a.manual_intervention else ""}</td>'
            f"<td>{escape(a.member.real_name)}</td><td>{escape(mask_mobile(a.member.mobile) or '')}</td>"
            f'<td>{escape(a.product.name)}</td><td class="amount">{escape(format_cny(a.amount))}</td>'
            f"<td>{a.term_months} {months}</td><td>{escape(getattr(a.region, 'name', ''))}</td>"
            f'<td><span class="badge text-bg-{escape(tone)}" data-testid="app-status">{escape(label)}</span></td>'
            f"<td>{escape(getattr(a.cm, 'display_name', ''))}</td><td>{submitted}</td></tr>\n")
    return mark_safe("".join(rows))  # noqa: S308 — every value above is escaped
