"""Settlement statements as PDF (WeasyPrint; Noto CJK fonts; ``lang="zh-hans"`` so the glyphs are the
Simplified Chinese forms). One statement per settled case, and a monthly statement per institution."""
from datetime import date

from django.template.loader import render_to_string
from django.utils import timezone

from .models import Settlement


def _pdf(template: str, context: dict) -> bytes:
    from weasyprint import HTML

    html = render_to_string(template, {**context, "printed_at": timezone.localtime()})
    return HTML(string=html).write_pdf()


def statement_pdf(s: Settlement) -> bytes:
    from .services import terms_text

    adjustment = s.adjustments.filter(status="approved").select_related("decided_by").first()
    return _pdf("settlement/statement_pdf.html", {
        "s": s, "app": s.application, "case": s.case, "terms": terms_text(s), "adjustment": adjustment})


def monthly_pdf(institution, year: int, month: int) -> bytes:
    start = date(year, month, 1)
    end = date(year + (month == 12), month % 12 + 1, 1)
    rows = list(Settlement.objects.filter(institution=institution, statement_at__date__gte=start,
                                          statement_at__date__lt=end)
                .select_related("application__product", "case").order_by("statement_at", "id"))
    totals = {
        "disbursed": sum((r.confirmed_amount for r in rows), 0),
        "commission": sum((r.commission for r in rows), 0),
        "service_fee": sum((r.service_fee for r in rows), 0),
        "total": sum((r.total for r in rows), 0),
        "paid": sum((r.total for r in rows if r.status in ("confirmed", "released")), 0),
    }
    return _pdf("settlement/monthly_pdf.html", {"institution": institution, "rows": rows, "totals": totals,
                                                "period": f"{year} 年 {month} 月"})
