from celery import shared_task


@shared_task(name="complaints.sweep")
def sweep_task() -> dict:
    """Remind the owner of every overdue step, then escalate to their superior — once per step and level."""
    from .services import complaints_sweep

    return complaints_sweep()
