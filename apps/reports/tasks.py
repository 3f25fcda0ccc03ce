from celery import shared_task


@shared_task(name="reports.export", acks_late=True)
def export_task(job_id: int) -> str:
    """Write one export file (see services.export_run); claiming the job is compare-and-set, so a task
    delivered twice exports once."""
    from .services import export_run

    return export_run(job_id)


@shared_task(name="reports.expire_exports")
def expire_exports_task() -> int:
    from .services import exports_expire

    return exports_expire()


@shared_task(name="reports.rankings")
def rankings_task() -> int:
    from .services import rankings_refresh

    return rankings_refresh()
