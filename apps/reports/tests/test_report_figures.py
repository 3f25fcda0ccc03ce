"""Reports covered as the money is (issue 18, "Reports are thinly tested"): totals against a count made another way
(Python over the rows), scoping per role and per tenant, Excel and PDF files opened and compared with the page,
ranking ties and anonymisation, and the market's masking before acceptance."""
import io
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from apps.applications.models import Application
from apps.dispatch import services as dispatch
from apps.dispatch.models import Candidate, Profile
from apps.reports import definitions, selectors, services

pytestmark = pytest.mark.django_db

STATUSES = ["ready", "lr_rejected", "ready", "cs_review", "withdrawn", "ready", "lr_rejected", "draft", "ready"]
AMOUNTS = ["50000", "12000.50", "30000", "8000", "99999.99", "150000", "7000.01", "60000", "1.00"]


@pytest.fixture(autouse=True)
def exports(settings, tmp_path):
    settings.EXPORT_ROOT = tmp_path / "exports"


@pytest.fixture
def mixed(cast, bulk_ready):
    """Nine applications submitted today: the first five cast.cm's (客户一组), the last four cast.cm2's (客户二组),
    with different statuses and amounts (fen included)."""
    apps = bulk_ready(9)
    now = timezone.now()
    for i, (app, status, amount) in enumerate(zip(apps, STATUSES, AMOUNTS)):
        owner = {"cm": cast.cm, "organization": cast.team} if i < 5 else {"cm": cast.cm2, "organization": cast.team2}
        Application.objects.filter(pk=app.pk).update(status=status, amount=amount, submitted_at=now, **owner)
    return [Application.objects.get(pk=a.pk) for a in apps]


def by_hand(apps):
    """The figures counted another way: a Python loop over the rows, no SQL aggregate."""
    total = sum((Decimal(a.amount) for a in apps), Decimal(0))
    statuses: dict = {}
    for a in apps:
        n, amount = statuses.get(a.status, (0, Decimal(0)))
        statuses[a.status] = (n + 1, amount + a.amount)
    return len(apps), total, statuses


@pytest.mark.parametrize("who,sees", [("cm", slice(0, 5)), ("cm2", slice(5, 9)), ("tl", slice(0, 5)),
                                      ("lr", slice(0, 9)), ("cs", slice(0, 9))])
def test_totals_match_a_count_made_by_hand_for_each_role(cast, mixed, who, sees):
    report = definitions.get("applications")
    stats = selectors.ops_stats(report, getattr(cast, who), {})
    n, total, statuses = by_hand(mixed[sees])
    assert stats["totals"]["applications"] == n and stats["totals"]["amount"] == total
    assert {r["status"]: (r["n"], r["amount"]) for r in stats["by_status"]} == statuses
    assert sum(r["n"] for r in stats["by_product"]) == n
    assert sum(r["amount"] for r in stats["by_product"]) == total
    assert sum(t["applications"] for t in stats["trend"]) == n
    # the rows listed are exactly those counted
    assert sorted(report.queryset(getattr(cast, who), {}).values_list("pk", flat=True)) == sorted(
        a.pk for a in mixed[sees])


def test_institutions_see_no_ops_figures_and_filters_narrow_the_same_way(cast, mixed):
    report = definitions.get("applications")
    assert selectors.ops_stats(report, cast.a_admin, {})["totals"]["applications"] == 0
    stats = selectors.ops_stats(report, cast.lr, {"status": "ready"})
    ready = [a for a in mixed if a.status == "ready"]
    assert (stats["totals"]["applications"], stats["totals"]["amount"]) == by_hand(ready)[:2]
    stats = selectors.ops_stats(report, cast.lr, {"cm": cast.cm2.pk, "status": "lr_rejected"})
    assert stats["totals"]["amount"] == Decimal("7000.01")


def test_the_page_shows_the_same_totals(client, cast, login, mixed):
    login(cast.lr)
    html = client.get("/ops/reports/", {"date_from": timezone.localdate().isoformat(),
                                        "date_to": timezone.localdate().isoformat(), "size": 50}).content.decode()
    n, total, _statuses = by_hand(mixed)
    assert f'<div class="stat-value">{n}</div>' in html
    assert f"¥{total:,.2f}" in html
    assert all(a.order_no in html for a in mixed)


def test_institution_figures_by_tenant_add_up_to_every_offer(cast, partners, bulk_ready, books_balance):
    ps = partners(3)
    apps = bulk_ready(4)
    Application.objects.filter(pk__in=[a.pk for a in apps]).update(submitted_at=timezone.now())
    for a in apps:
        dispatch.dispatch_start(application_id=a.pk)
    first = Candidate.objects.filter(institution=ps[0].org).order_by("pk")
    dispatch.offer_decline(actor=ps[0].user, candidate_id=first[0].pk, code="busy")
    dispatch.offer_accept(actor=ps[0].user, candidate_id=first[1].pk)
    report = definitions.get("inst_cases")
    seen = 0
    for p in ps:
        stats = selectors.inst_stats(report, p.user, {})
        mine = list(Candidate.objects.filter(institution=p.org))
        assert stats["totals"]["applications"] == len(mine)
        assert stats["totals"]["amount"] == sum((c.application.amount for c in mine), Decimal(0))
        assert stats["totals"]["acceptances"] == sum(c.status in ("accepted", "chosen", "released") for c in mine)
        assert stats["totals"]["declined"] == sum(c.status == "declined" for c in mine)
        seen += stats["totals"]["applications"]
    assert seen == Candidate.objects.count() == 12  # 4 applications × 3 institutions
    assert selectors.inst_stats(report, cast.b_admin, {})["totals"]["applications"] == 0
    assert selectors.inst_stats(report, cast.cm, {})["totals"]["applications"] == 0
    books_balance()


def page_rows(html):
    body = re.search(r"<tbody>(.*?)</tbody>", html.split("明细", 1)[1], re.S).group(1)
    return [re.findall(r"<td>(.*?)</td>", tr, re.S) for tr in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def test_excel_and_pdf_contents_equal_the_page(client, cast, login, mixed):
    from pypdf import PdfReader

    today = timezone.localdate().isoformat()
    params = {"date_from": today, "date_to": today, "status": "ready"}
    login(cast.lr)
    html = client.get("/ops/reports/", {**params, "size": 50}).content.decode()
    shown = page_rows(html)
    ready = [a for a in mixed if a.status == "ready"]
    assert len(shown) == len(ready) == 4
    xlsx = services.export_request(user=cast.lr, report_code="applications", fmt="xlsx", params=params)
    pdf = services.export_request(user=cast.lr, report_code="applications", fmt="pdf", params=params)
    assert services.export_run(xlsx.pk) == services.export_run(pdf.pk) == "done"
    resp = client.get(f"/ops/reports/exports/{xlsx.pk}/download/")
    sheet = list(load_workbook(io.BytesIO(b"".join(resp.streaming_content)), read_only=True).active.iter_rows(
        values_only=True))
    header = [c.header for c in definitions.get("applications").columns]
    assert list(sheet[0]) == header and len(sheet) == 1 + len(shown)
    for page_row, file_row in zip(shown, sheet[1:]):
        assert page_row[0] == file_row[0]                       # 单号, same order
        assert page_row[1] == file_row[1] and page_row[2] == file_row[2]  # 客户, masked 手机号
        assert Decimal(page_row[4].replace(",", "").replace("¥", "")) == Decimal(str(file_row[4]))  # 申请金额
        assert page_row[7] == file_row[7]                       # 状态 in Chinese
    assert sum(Decimal(str(r[4])) for r in sheet[1:]) == by_hand(ready)[1]
    assert all("*" in r[2] and "13900000000" not in r[2] for r in sheet[1:])
    pdf.refresh_from_db()
    resp = client.get(f"/ops/reports/exports/{pdf.pk}/download/")
    reader = PdfReader(io.BytesIO(b"".join(resp.streaming_content)))
    text = "".join(p.extract_text() for p in reader.pages)
    assert f"共 {len(shown)} 行" in text and "贷款申请明细" in text
    assert all(row[0] in text for row in shown)
    assert not any(a.order_no in text for a in mixed if a.status != "ready")


def test_institution_excel_masks_clients_until_accepted(client, cast, partners, bulk_ready, login, books_balance):
    ps = partners(1)
    apps = bulk_ready(2)
    for a in apps:
        dispatch.dispatch_start(application_id=a.pk)
    offered, accepted = Candidate.objects.filter(institution=ps[0].org).order_by("pk")
    dispatch.offer_accept(actor=ps[0].user, candidate_id=accepted.pk)
    job = services.export_request(user=ps[0].user, report_code="inst_cases", fmt="xlsx", params={})
    services.export_run(job.pk)
    resp = login(ps[0].user, "inst").get(f"/inst/reports/exports/{job.pk}/download/")
    rows = {r[0]: r for r in list(load_workbook(io.BytesIO(b"".join(resp.streaming_content)),
                                                read_only=True).active.iter_rows(values_only=True))[1:]}
    full = {c.pk: c.application.member.real_name for c in (offered, accepted)}
    assert rows[offered.application.order_no][1] == full[offered.pk][:1] + "*" * (len(full[offered.pk]) - 1)
    assert rows[accepted.application.order_no][1] == full[accepted.pk]
    books_balance()


def test_ranking_ties_share_a_place_and_others_are_anonymised(client, cast, partners, login):
    ps = partners(4)
    for p, amount in zip(ps, ["300000", "500000", "300000", "0"]):
        Profile.objects.filter(pk=p.profile.pk).update(amount_lent=amount, success_count=int(amount) // 100000)
    services.rankings_refresh()
    from apps.reports.models import Ranking

    city = {r.institution_id: r.rank for r in Ranking.objects.filter(scope="city", metric="amount")}
    assert [city[p.org.pk] for p in ps] == [2, 1, 2, 4]
    html = login(ps[0].user, "inst").get("/inst/reports/ranking/").content.decode()
    assert f"{ps[0].org.name}（本机构）" in html
    assert not any(p.org.name in html for p in ps[1:])
    assert html.count(f"{ps[1].org.name[:1]}***") >= 3
    # the tie shows the same place twice in the amount card
    card = re.search(r"累计放款金额.*?</table>|放款金额.*?</table>", html, re.S).group(0)
    places = re.findall(r'<td style="width:5em">(\d+)</td>', card)
    assert places == ["1", "2", "2", "4"]


def test_market_masks_clients_before_acceptance(client, cast, partners, bulk_ready, login, books_balance):
    ps = partners(1)
    apps = bulk_ready(3)
    Application.objects.filter(pk__in=[a.pk for a in apps]).update(submitted_at=timezone.now())
    dispatch.dispatch_start(application_id=apps[0].pk)
    dispatch.dispatch_start(application_id=apps[1].pk)
    offered, accepted = Candidate.objects.filter(institution=ps[0].org).order_by("pk")
    dispatch.offer_accept(actor=ps[0].user, candidate_id=accepted.pk)
    Application.objects.filter(pk=apps[2].pk).update(status="dispatching")  # suits it, not yet offered to it
    html = login(ps[0].user, "inst").get("/inst/reports/market/").content.decode()
    names = {a.pk: Application.objects.select_related("member").get(pk=a.pk).member.real_name for a in apps}
    suitable = html.split("当前适合本机构的申请", 1)[1].split("历史派单", 1)[0]
    assert f"{names[apps[2].pk][:1]}**" in suitable and names[apps[2].pk] not in html
    assert apps[2].order_no not in suitable
    history = html.split("历史派单", 1)[1]
    assert names[offered.application_id] not in history and f"{names[offered.application_id][:1]}**" in history
    assert names[accepted.application_id] in history
    assert "13900000000" not in html
    # another institution's market shows none of it
    other = login(cast.b_admin, "inst", c=client.__class__()).get("/inst/reports/market/").content.decode()
    assert not any(a.order_no in other for a in apps)
    books_balance()


def test_the_chart_spans_the_filters_range(client, cast, login, mixed):
    """Issue 19 §8: the trend chart's dates are the filter's dates, quiet days included, whatever days hold data."""
    from datetime import timedelta

    today = timezone.localdate()
    start, end = today - timedelta(days=13), today + timedelta(days=3)
    login(cast.lr)
    html = client.get("/ops/reports/", {"date_from": start.isoformat(), "date_to": end.isoformat()}).content.decode()
    assert f"{start:%Y-%m-%d} — {end:%Y-%m-%d}（17 天）" in html
    ticks = re.findall(r'data-testid="trend-tick">([^<]+)<', html)
    assert ticks[0] == f"{start:%m-%d}" and ticks[-1] == f"{end:%m-%d}"
    # the nine applications of today are one bar, in today's slot of seventeen
    geometry = selectors.chart([{"day": today, "applications": 9, "acceptances": 0, "amount": Decimal(0)},
                                {"day": today - timedelta(days=40), "applications": 5, "acceptances": 1,
                                 "amount": Decimal(0)}], start=start, end=end)
    assert geometry["days"] == 17 and len(geometry["bars"]) == 1 and len(geometry["line"].split()) == 17
    assert geometry["bars"][0]["label"].startswith(f"{today:%m-%d} 申请 9")
    # the default page (no filter typed) is the last 30 days, and says so
    default = client.get("/ops/reports/").content.decode()
    assert f"{today - timedelta(days=29):%Y-%m-%d} — {today:%Y-%m-%d}（30 天）" in default
