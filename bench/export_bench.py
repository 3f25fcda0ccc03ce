"""Export part of `make bench`: ``export.xlsx.100k.*`` and ``export.pdf.5k.*``.

Each export runs the real Celery task body (``services.export_run``) in a forked child process, so its
peak memory (ru_maxrss of the child) is the export's own and not the benchmark's; time is wall clock."""
import multiprocessing as mp
import resource
import time


def _rows(n: int):
    """``n`` applications of one customer manager (bulk inserts), to export."""
    from datetime import date

    from apps.applications.models import Application
    from apps.members.models import Member
    from apps.products.models import Product
    from apps.regions.models import Region

    from dispatch_bench import _setup_people

    org, cm = _setup_people()
    product = Product.objects.first() or Product.objects.create(code="bench-x", name="基准导出产品", category="credit",
                                                                 hold_amount="1000.00")
    region = Region.objects.filter(level=3).first()
    start = Member.objects.count()
    batch = 20000
    for offset in range(0, n, batch):
        k = min(batch, n - offset)
        members = Member.objects.bulk_create([
            Member(real_name=f"导出客户{start + offset + i}", id_number=f"EXP{start + offset + i:015d}",
                   mobile="13900000000", address="-", client_type="individual", birth_date=date(1990, 1, 1),
                   id_photo_front="-", id_photo_back="-", status="verified", registered_by=cm, organization=org)
            for i in range(k)], batch_size=5000)
        Application.objects.bulk_create([
            Application(order_no=f"EX{start + offset + i:012d}", member=m, product=product, amount="66000.00",
                        term_months=24, region=region, purpose="导出基准", client_type="individual",
                        status="lr_review", cm=cm, organization=org, submitted_at="2026-11-20T10:00:00+08:00")
            for i, m in enumerate(members)], batch_size=5000)
    return cm


def _child(job_id: int, out):
    import django
    from django.db import connection

    django.setup()
    from apps.reports.services import export_run

    connection.close()
    t0 = time.monotonic()
    result = export_run(job_id)
    out.put((result, time.monotonic() - t0, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))


def measure(user, fmt: str, params: dict) -> dict:
    from django.db import connections

    from apps.reports.models import ExportJob

    job = ExportJob.objects.create(report="applications", fmt=fmt, params=params, requested_by=user,
                                   title=f"bench {fmt}")
    connections.close_all()
    ctx = mp.get_context("fork")
    out = ctx.Queue()
    proc = ctx.Process(target=_child, args=(job.pk, out))
    proc.start()
    result, seconds, peak_mb = out.get()
    proc.join()
    job.refresh_from_db()
    return {"result": result, "seconds": seconds, "peak_mb": peak_mb, "rows": job.rows_total, "size": job.size,
            "error": job.error}
