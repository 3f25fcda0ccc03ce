"""Report figures against hand-computed fixtures, real Excel and PDF files opened, tenant isolation of
downloads, ranking order and ties."""
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from openpyxl import load_workbook

from apps.applications.models import Application
from apps.dispatch import services as dispatch
from apps.dispatch.models import Candidate, Profile
from apps.reports import definitions, selectors, services
from apps.reports.models import ExportJob, Ranking


@pytest.fixture(autouse=True)
def exports(settings, tmp_path):
    settings.EXPORT_ROOT = tmp_path / "exports"


def test_ops_figures_match_hand_computed(cast, bulk_ready):
    apps = bulk_ready(5)
    Application.objects.filter(pk__in=[a.pk for a in apps[:2]]).update(status="lr_rejected", amount="10000")
    Application.objects.filter(pk__in=[a.pk for a in apps]).update(submitted_at="2026-11-20T10:00:00+08:00")
    report = definitions.get("applications")
    stats = selectors.ops_stats(report, cast.cm, {"date_from": "2026-11-01", "date_to": "2026-11-30"})
    assert stats["totals"]["applications"] == 5
    assert stats["totals"]["amount"] == Decimal("170000.00")  # 2 × 10,000 + 3 × 50,000
    assert {r["status"]: r["n"] for r in stats["by_status"]} == {"ready": 3, "lr_rejected": 2}
    assert [(t["day"].isoformat(), t["applications"]) for t in stats["trend"]] == [("2026-11-20", 5)]
    # another CM sees none of it (the report is scoped by the same rules as the queues)
    assert selectors.ops_stats(report, cast.cm2, {})["totals"]["applications"] == 0


def test_institution_figures_and_isolation(cast, partners, bulk_ready):
    ps = partners(3)
    apps = bulk_ready(2)
    for a in apps:
        dispatch.dispatch_start(application_id=a.pk)
    offer = Candidate.objects.filter(institution=ps[0].org).first()
    dispatch.offer_decline(actor=ps[0].user, candidate_id=offer.pk, code="busy")
    report = definitions.get("inst_cases")
    mine = selectors.inst_stats(report, ps[0].user, {})
    assert (mine["totals"]["applications"], mine["totals"]["declined"]) == (2, 1)
    assert selectors.inst_stats(report, cast.b_admin, {})["totals"]["applications"] == 0


def test_xlsx_export_opened_and_only_for_the_requester(cast, bulk_ready, client, login):
    bulk_ready(7)
    job = services.export_request(user=cast.cm, report_code="applications", fmt="xlsx", params={})
    assert services.export_run(job.pk) == "done"
    assert services.export_run(job.pk) == "skipped"  # delivered twice: exported once
    job.refresh_from_db()
    assert (job.status, job.rows_total, job.progress) == ("done", 7, 100)
    resp = login(cast.cm, "ops").get(f"/ops/reports/exports/{job.pk}/download/")
    assert resp.status_code == 200
    wb = load_workbook(io.BytesIO(b"".join(resp.streaming_content)), read_only=True)
    rows = list(wb.active.iter_rows(values_only=True))
    assert rows[0][0] == "单号" and len(rows) == 8 and rows[1][4] == 50000
    assert login(cast.cm2, "ops", c=client.__class__()).get(f"/ops/reports/exports/{job.pk}/download/").status_code == 404


def test_pdf_export_has_chinese_text_and_a_row_limit(cast, bulk_ready, settings):
    from pypdf import PdfReader

    from apps.common.params import param_set

    bulk_ready(3)
    job = services.export_request(user=cast.cm, report_code="applications", fmt="pdf", params={})
    services.export_run(job.pk)
    job.refresh_from_db()
    text = PdfReader(str(settings.EXPORT_ROOT / job.path)).pages[0].extract_text()
    assert "贷款申请明细" in text and "第 1 页" in text and "50000" in text.replace(",", "")
    param_set(key="reports.pdf_max_rows", raw="100", user=cast.admin)
    bulk_ready(120)
    with pytest.raises(ValidationError, match="请缩小筛选范围或导出 Excel"):
        services.export_request(user=cast.cm, report_code="applications", fmt="pdf", params={})


def test_ranking_order_and_ties(cast, partners):
    ps = partners(4)
    amounts = ["300000", "500000", "300000", "0"]
    for p, amount in zip(ps, amounts):
        Profile.objects.filter(pk=p.profile.pk).update(amount_lent=amount, success_count=int(amount) // 100000)
    services.rankings_refresh()
    ranks = {r.institution_id: (r.rank, r.total) for r in Ranking.objects.filter(scope="province", metric="amount")}
    assert [ranks[p.org.pk] for p in ps] == [(2, 4), (1, 4), (2, 4), (4, 4)]  # ties share the place
    rows = selectors.ranking_for_institution(ps[0].org.pk)
    assert {r.metric for r, _field in rows} == {"overall", "amount", "timeliness", "success", "abandon"}


def test_pages_by_role(cast, partners, login, client):
    (p,) = partners(1)
    assert login(cast.cm, "ops").get("/ops/reports/?date_from=2026-11-01").status_code == 200
    assert login(cast.cs, "ops", c=client.__class__()).get("/ops/reports/exports/").status_code == 403
    inst = login(p.user, "inst", c=client.__class__())
    for url in ["/inst/reports/", "/inst/reports/ranking/", "/inst/reports/market/", "/inst/reports/exports/"]:
        assert inst.get(url).status_code == 200, url
    bad = login(cast.cm, "ops", c=client.__class__()).get("/ops/reports/?date_from=2026-11-30&date_to=2026-11-01")
    assert "开始日期不能晚于结束日期" in bad.content.decode()
