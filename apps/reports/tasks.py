from celery import shared_task


@shared_task(name="reports.export", acks_late=True)
def export_task(job_id: int) -> str:
    """Write one export file (see services.export_run); claiming the job is compare-and-set, so a task
    delivered twice exports once.

    The report rows are read from the reporting replica when there is one (they may lag the primary by
    a moment); the job row itself — claim, progress, result — is read and written on the primary
    (shuyin.db_routers.PRIMARY_ONLY), so a job queued a moment ago is always found."""
    from shuyin.db_routers import reporting_reads

    from .services import export_run

    with reporting_reads():
        return export_run(job_id)


@shared_task(name="reports.expire_exports")
def expire_exports_task() -> int:
    from .services import exports_expire

    return exports_expire()


@shared_task(name="reports.rankings")
def rankings_task() -> int:
    from .services import rankings_refresh

    return rankings_refresh()
