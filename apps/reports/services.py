"""Export jobs and the ranking refresh.

An export is a row (``ExportJob``) plus a Celery task. The task rebuilds the report's queryset for the
person who asked, streams it (a server-side cursor, ``iterator``) into an openpyxl write-only workbook —
memory stays flat whatever the row count — or, up to ``reports.pdf_max_rows`` rows, into a PDF set page by
page (``pdftable``: page headers and "第 X 页 / 共 Y 页", flat memory too), and records its progress on the row as it goes (the download list polls it)."""
from datetime import date, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.common import clock
from apps.common.params import params_get_many

from . import definitions
from .models import ExportJob, Ranking

PROGRESS_EVERY = 2000


def export_request(*, user, report_code: str, fmt: str, params: dict) -> ExportJob:
    report = definitions.get(report_code)
    if not (user.has_perm(report.perm) and user.has_perm("reports.export_report")):
        raise PermissionDenied("reports.export_report")
    if fmt not in ExportJob.Format.values:
        raise ValidationError(_("导出格式无效。"))
    limit = params_get_many(["reports.pdf_max_rows"])["reports.pdf_max_rows"]
    if fmt == ExportJob.Format.PDF:
        n = report.queryset(user, params).count()
        if n > limit:
            raise ValidationError(_("共 %(n)s 行，PDF 最多导出 %(limit)s 行，请缩小筛选范围或导出 Excel。") % {"n": f"{n:,}", "limit": f"{limit:,}"})
    job = ExportJob.objects.create(report=report_code, fmt=fmt, params=params, requested_by=user,
                                   title=f"{report.title}（{timezone.localtime():%Y-%m-%d %H:%M}）")
    from .tasks import export_task

    transaction.on_commit(lambda: export_task.delay(job.pk))
    return job


def _claim(job_id: int) -> ExportJob | None:
    """Compare-and-set queued → running: a task delivered twice runs the export once."""
    if not ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.QUEUED).update(
            status=ExportJob.Status.RUNNING, started_at=timezone.now()):
        return None
    return ExportJob.objects.select_related("requested_by").get(pk=job_id)


def _progress(job: ExportJob, done: int) -> None:
    ExportJob.objects.filter(pk=job.pk).update(rows_done=done)


def export_run(job_id: int) -> str:
    job = _claim(job_id)
    if job is None:
        return "skipped"
    report = definitions.get(job.report)
    rel = Path(f"{job.pk}") / f"{report.code}-{job.pk}.{job.fmt}"
    dest = Path(settings.EXPORT_ROOT) / rel
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        qs = report.queryset(job.requested_by, job.params)
        total = qs.count()
        ExportJob.objects.filter(pk=job.pk).update(rows_total=total)
        if job.fmt == ExportJob.Format.XLSX:
            _write_xlsx(job, report, qs, dest)
        else:
            limit = params_get_many(["reports.pdf_max_rows"])["reports.pdf_max_rows"]
            if total > limit:
                raise ValidationError(_("共 %(n)s 行，超过 PDF 上限 %(limit)s 行，请导出 Excel。") % {"n": f"{total:,}", "limit": f"{limit:,}"})
            _write_pdf(job, report, qs, dest, total)
    except Exception as exc:  # noqa: BLE001 — the reason is shown in the download list
        message = exc.messages[0] if isinstance(exc, ValidationError) else f"生成失败：{exc.__class__.__name__}"
        ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.FAILED, error=message[:300],
                                                   finished_at=timezone.now())
        dest.unlink(missing_ok=True)
        return "failed"
    keep = params_get_many(["reports.keep_hours"])["reports.keep_hours"]
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportJob.Status.DONE, path=str(rel), size=dest.stat().st_size, rows_done=total,
        finished_at=timezone.now(), expires_at=timezone.now() + timedelta(hours=keep))
    return "done"


def _write_xlsx(job, report, qs, dest: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(report.title[:31])
    for i, col in enumerate(report.columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = col.width + 2
    ws.freeze_panes = "A2"
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="E9EEF5")
    header = []
    for col in report.columns:
        cell = WriteOnlyCell(ws, value=col.header)
        cell.font, cell.fill = bold, fill
        header.append(cell)
    ws.append(header)
    money_cols = [i for i, c in enumerate(report.columns) if c.money]
    done = 0
    for obj in qs.iterator(chunk_size=2000):
        row = report.values(obj)
        for i in money_cols:
            if row[i] is not None:
                cell = WriteOnlyCell(ws, value=row[i])
                cell.number_format = "#,##0.00"
                row[i] = cell
        ws.append(row)
        done += 1
        if done % PROGRESS_EVERY == 0:
            _progress(job, done)
    wb.save(dest)


def _pdf_cell(value, money: bool):
    if value is None:
        return "-"
    if money:
        return f"{value:,.2f}"
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _write_pdf(job, report, qs, dest: Path, total: int) -> None:
    """The table set page by page by ``pdftable.TablePdf`` as the rows stream from a server-side cursor: memory
    stays flat (the pages go to the file as they fill) and 50,000 rows take about as long as Excel's 100,000.
    Each page has the report's header, the table's header row and "第 X 页 / 共 Y 页"."""
    from .pdftable import TablePdf

    params = job.params or {}
    intro = f"共 {total:,} 行" + (f"，{params['date_from']} 至 {params.get('date_to') or '今'}"
                                  if params.get("date_from") else "")
    money = [c.money for c in report.columns]
    pdf = TablePdf(dest, title=report.title, header_left=f"数银在线 · {report.title}",
                   header_right=f"导出人 {job.requested_by.display_name} · {timezone.localtime():%Y-%m-%d %H:%M}",
                   intro=intro, columns=[(c.header, c.width, c.money) for c in report.columns])
    try:
        for done, obj in enumerate(qs.iterator(chunk_size=2000), start=1):
            pdf.row([_pdf_cell(v, m) for v, m in zip(report.values(obj), money)])
            if done % PROGRESS_EVERY == 0:
                _progress(job, done)
    finally:
        pdf.close()


def exports_expire(*, now=None) -> int:
    """Delete the files of exports kept past ``reports.keep_hours``."""
    now = now or timezone.now()
    expired = 0
    for job in ExportJob.objects.filter(status=ExportJob.Status.DONE, expires_at__lte=now):
        if ExportJob.objects.filter(pk=job.pk, status=ExportJob.Status.DONE).update(status=ExportJob.Status.EXPIRED):
            (Path(settings.EXPORT_ROOT) / job.path).unlink(missing_ok=True)
            expired += 1
    return expired


# ---- regional ranking (区域内业务水平排名) ----

_METRIC_ORDER = {
    Ranking.Metric.OVERALL: ("score", "DESC"),
    Ranking.Metric.AMOUNT: ("amount_lent", "DESC"),
    Ranking.Metric.TIMELINESS: ("COALESCE(disburse_median_s, answer_median_s)", "ASC"),
    Ranking.Metric.SUCCESS: ("success_count", "DESC"),
    Ranking.Metric.ABANDON: ("abandon", "ASC"),
}

_RANK_SQL = """
INSERT INTO reports_ranking (institution_id, scope, region_code, metric, rank, total, value, computed_at)
SELECT institution_id, %(scope)s, region, %(metric)s,
       RANK() OVER (PARTITION BY region ORDER BY {expr} {direction} NULLS LAST),
       COUNT(*) OVER (PARTITION BY region), {expr}, %(now)s
FROM (
  SELECT p.institution_id, p.score, p.amount_lent, p.success_count, p.disburse_median_s, p.answer_median_s,
         CASE WHEN p.dispatched_count > 0
              THEN (p.declined_count + p.lapsed_count + p.gave_up_count)::numeric / p.dispatched_count END AS abandon,
         {region} AS region
  FROM dispatch_profile p
  JOIN accounts_organization o ON o.id = p.institution_id
  JOIN regions_region r ON r.id = o.region_id
  WHERE o.is_active
) base
WHERE region <> ''
"""


def rankings_refresh() -> int:
    """Rebuild every institution's place within its province and its city on each metric. Ties share a
    place (RANK); institutions without a figure (e.g. no loan yet) come last."""
    now = clock.now()
    with transaction.atomic(), connection.cursor() as cur:
        # one rebuild at a time (two beats, or a late run overlapping the next): without the lock the second
        # DELETE cannot see the rows the first inserted, and its INSERT then breaks "ranking_once"
        cur.execute("LOCK TABLE reports_ranking IN EXCLUSIVE MODE")
        cur.execute("DELETE FROM reports_ranking")
        for scope, region in ((Ranking.Scope.PROVINCE, "r.province_code"), (Ranking.Scope.CITY, "r.city_code")):
            for metric, (expr, direction) in _METRIC_ORDER.items():
                cur.execute(_RANK_SQL.format(expr=expr, direction=direction, region=region),
                            {"scope": scope, "metric": metric, "now": now})
        return Ranking.objects.count()
