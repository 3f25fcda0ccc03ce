"""Export part of `make bench`: ``export.xlsx.100k.*``, ``export.pdf.5k.*`` and ``export.pdf.50k.*``.

Each export runs as the real Celery task (``reports.export``) in a Celery worker started for it, so its peak
memory (the worker's VmHWM) is the export's own and not the benchmark's; time is the task's own (claimed →
finished, from the job row)."""
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


def _worker_peak_mb(pid: int) -> float:
    """The process's peak resident set (VmHWM) so far, in MB."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def measure(user, fmt: str, params: dict, *, timeout: float = 3600) -> dict:
    """One export through the real Celery task (``reports.export``) in a fresh Celery worker (solo pool, its own
    queue on this benchmark's Redis): time from the task's claim to its end as the job row records them, peak
    memory the worker process's own VmHWM after the task — the export process, nothing of the benchmark."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from django.conf import settings
    from django.db import connections

    from apps.reports.models import ExportJob
    from apps.reports.tasks import export_task

    root = Path(__file__).resolve().parent.parent
    queue = settings.CELERY_EXPORTS_QUEUE
    job = ExportJob.objects.create(report="applications", fmt=fmt, params=params, requested_by=user,
                                   title=f"bench {fmt}")
    connections.close_all()
    env = dict(os.environ, DJANGO_SETTINGS_MODULE=os.environ.get("DJANGO_SETTINGS_MODULE", "shuyin.settings.test"))
    worker = subprocess.Popen([sys.executable, "-m", "celery", "-A", "shuyin", "worker", "--pool", "solo",
                               "-Q", queue, "-l", "warning", "--without-heartbeat", "--without-gossip",
                               "--without-mingle"], cwd=root, env=env)
    try:
        export_task.apply_async(args=[job.pk], queue=queue)
        deadline = time.monotonic() + timeout
        while True:
            job.refresh_from_db()
            if job.status in (ExportJob.Status.DONE, ExportJob.Status.FAILED) or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        peak_mb = _worker_peak_mb(worker.pid)
    finally:
        worker.terminate()
        worker.wait(30)
    seconds = (job.finished_at - job.started_at).total_seconds() if job.finished_at and job.started_at else None
    result = {ExportJob.Status.DONE: "done", ExportJob.Status.FAILED: "failed"}.get(job.status, job.status)
    return {"result": result, "seconds": seconds, "peak_mb": peak_mb, "rows": job.rows_total, "size": job.size,
            "error": job.error}
