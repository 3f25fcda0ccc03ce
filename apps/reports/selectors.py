"""Business statistics (业务统计报表): totals, breakdowns and daily trends over a report's scoped rows, in a
fixed number of queries whatever the row count."""
from datetime import timedelta
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate

from apps.common import clock

from .definitions import Report
from .models import ExportJob, Ranking


def _trend(qs, date_field: str, *, amount: str | None = None, extra: dict | None = None) -> list[dict]:
    aggregates = {"n": Count("pk")}
    if amount:
        aggregates["amount"] = Sum(amount)
    aggregates.update(extra or {})
    return list(qs.annotate(day=TruncDate(date_field)).values("day").annotate(**aggregates).order_by("day"))


def ops_stats(report: Report, user, params: dict) -> dict:
    """数银: applications by status and product, amounts applied and disbursed, acceptances, daily trend."""
    from apps.cases.models import Case
    from apps.dispatch.models import Candidate

    qs = report.queryset(user, params).order_by()
    totals = qs.aggregate(n=Count("pk"), amount=Sum("amount"))
    by_status = list(qs.values("shown_status").annotate(n=Count("pk"), amount=Sum("amount")).order_by("-n"))
    by_product = list(qs.values("product__name").annotate(n=Count("pk"), amount=Sum("amount")).order_by("-amount"))
    accepted = Candidate.objects.filter(application__in=qs.values("pk"),
                                        status__in=["accepted", "chosen", "released"])
    disbursed = Case.objects.filter(application__in=qs.values("pk"), status="disbursed")
    money = disbursed.aggregate(n=Count("pk"), amount=Sum("disbursed_amount"))
    labels = dict(report.status_choices)
    for row in by_status:
        row["status"] = row.pop("shown_status")
        row["label"] = labels.get(row["status"], row["status"])
    return {
        "totals": {"applications": totals["n"], "amount": totals["amount"] or Decimal(0),
                   "acceptances": accepted.count(), "disbursed": money["n"],
                   "disbursed_amount": money["amount"] or Decimal(0)},
        "by_status": by_status, "by_product": by_product,
        "trend": _merge_trend(_trend(qs.filter(submitted_at__isnull=False), "submitted_at"),
                              _trend(accepted, "answered_at"),
                              _trend(disbursed, "disbursed_recorded_at", amount="disbursed_amount")),
    }


def inst_stats(report: Report, user, params: dict) -> dict:
    """An institution: cases dispatched to it, its answers, disbursements; same shape as ops_stats."""
    qs = report.queryset(user, params).order_by()
    answers = qs.aggregate(n=Count("pk"), amount=Sum("application__amount"),
                           accepted=Count("pk", filter=Q(status__in=["accepted", "chosen", "released"])),
                           declined=Count("pk", filter=Q(status="declined")),
                           lapsed=Count("pk", filter=Q(status="lapsed")),
                           disbursed=Count("case", filter=Q(case__status="disbursed")),
                           disbursed_amount=Sum("case__disbursed_amount", filter=Q(case__status="disbursed")))
    by_status = list(qs.values("status").annotate(n=Count("pk"), amount=Sum("application__amount")).order_by("-n"))
    labels = dict(report.status_choices)
    for row in by_status:
        row["label"] = labels.get(row["status"], row["status"])
    by_product = list(qs.values("application__product__name").annotate(
        n=Count("pk"), amount=Sum("application__amount")).order_by("-amount"))
    for row in by_product:
        row["product__name"] = row.pop("application__product__name")
    from apps.cases.models import Case

    disbursed = Case.objects.filter(candidate__in=qs.values("pk"), status="disbursed")
    return {
        "totals": {"applications": answers["n"], "amount": answers["amount"] or Decimal(0),
                   "acceptances": answers["accepted"], "declined": answers["declined"], "lapsed": answers["lapsed"],
                   "disbursed": answers["disbursed"], "disbursed_amount": answers["disbursed_amount"] or Decimal(0)},
        "by_status": by_status, "by_product": by_product,
        "trend": _merge_trend(_trend(qs, "offered_at"),
                              _trend(qs.filter(status__in=["accepted", "chosen", "released"]), "answered_at"),
                              _trend(disbursed, "disbursed_recorded_at", amount="disbursed_amount")),
    }


def _merge_trend(applications, acceptances, disbursements) -> list[dict]:
    days: dict = {}
    for row in applications:
        days.setdefault(row["day"], {"day": row["day"], "applications": 0, "acceptances": 0, "amount": Decimal(0)})
        days[row["day"]]["applications"] = row["n"]
    for row in acceptances:
        days.setdefault(row["day"], {"day": row["day"], "applications": 0, "acceptances": 0, "amount": Decimal(0)})
        days[row["day"]]["acceptances"] = row["n"]
    for row in disbursements:
        days.setdefault(row["day"], {"day": row["day"], "applications": 0, "acceptances": 0, "amount": Decimal(0)})
        days[row["day"]]["amount"] = row["amount"] or Decimal(0)
    return [days[d] for d in sorted(d for d in days if d is not None)]


def chart(trend: list[dict], *, start=None, end=None, width: int = 720, height: int = 180) -> dict:
    """Geometry of a small inline SVG chart (bars: applications; line: acceptances; no JavaScript, no CDN).

    The x axis spans the filter's range, ``start`` to ``end`` (one slot per day, days without activity at zero,
    days outside the range dropped), so the chart and the filter above it name the same dates; an open end takes
    the data's (or today's) date."""
    from datetime import date as _date

    start = _date.fromisoformat(start) if isinstance(start, str) else start
    end = _date.fromisoformat(end) if isinstance(end, str) else end
    days = [t["day"] for t in trend]
    if start is None and days:
        start = days[0]
    if end is None:
        end = max(days[-1], clock.today()) if days else clock.today()
    if start is None or start > end:
        return {}
    span = (end - start).days + 1
    by_day = {t["day"]: t for t in trend if start <= t["day"] <= end}
    plot = height - 18  # room under the bars for the dates
    top = max([max(t["applications"], t["acceptances"]) for t in by_day.values()] or [0]) or 1
    step = width / span
    bars, points, ticks = [], [], []
    for i in range(span):
        day = start + timedelta(days=i)
        t = by_day.get(day, {"applications": 0, "acceptances": 0})
        h = t["applications"] * (plot - 20) / top
        w = max(min(step * 0.7, 36), 0.6)
        if t["applications"]:
            bars.append({"x": round(i * step + (step - w) / 2, 1), "y": round(plot - h, 1), "w": round(w, 1),
                         "h": round(h, 1), "label": f"{day:%m-%d} 申请 {t['applications']} · 受理 {t['acceptances']}"})
        y = plot - t["acceptances"] * (plot - 20) / top
        points.append(f"{round(i * step + step / 2, 1)},{round(y, 1)}")
    for i in sorted({0, span // 2, span - 1}):
        day = start + timedelta(days=i)
        anchor = "start" if i == 0 else "end" if i == span - 1 else "middle"
        x = 2 if i == 0 else width - 2 if i == span - 1 else round(i * step + step / 2, 1)
        ticks.append({"x": x, "label": f"{day:%m-%d}", "anchor": anchor})
    return {"width": width, "height": height, "plot": plot, "bars": bars, "line": " ".join(points), "top": top,
            "ticks": ticks, "first": start, "last": end, "days": span}


def jobs_for_user(*, user):
    return ExportJob.objects.filter(requested_by=user)


def ranking_for_institution(institution_id: int) -> list[tuple[Ranking, list[Ranking]]]:
    """Its place on every metric within its province and city, each with the field around it (three places
    above and below; the page shows other institutions anonymised)."""
    rows = []
    for r in Ranking.objects.filter(institution_id=institution_id).order_by("scope", "metric"):
        field = list(Ranking.objects.filter(scope=r.scope, region_code=r.region_code, metric=r.metric,
                                            rank__gte=r.rank - 3, rank__lte=r.rank + 3)
                     .select_related("institution").order_by("rank", "institution_id")[:9])
        rows.append((r, field))
    return rows


def recent_days(days: int = 30) -> dict:
    today = clock.today()
    return {"date_from": (today - timedelta(days=days - 1)).isoformat(), "date_to": today.isoformat()}


def suitable_now(profile, *, limit: int = 20):
    """Applications being dispatched right now that fit the institution's products, client types and
    service areas and were not offered to it (可操作行情 — shown masked)."""
    from apps.applications.models import Application
    from apps.dispatch.models import Candidate

    codes = [k[2:] for k in profile.coverage if k.startswith("r:")]
    if not codes or not profile.product_ids:
        return []
    return list(Application.objects.filter(
        Q(region__code__in=codes) | Q(region__city_code__in=codes) | Q(region__province_code__in=codes),
        status__in=["dispatching", "redispatch", "ready"], product_id__in=profile.product_ids,
        client_type__in=profile.client_types or [""])
        .exclude(pk__in=Candidate.objects.filter(institution_id=profile.institution_id).values("application_id"))
        .select_related("product", "region", "member").order_by("-submitted_at")[:limit])
