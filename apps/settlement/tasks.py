from celery import shared_task


@shared_task(name="settlement.sweep")
def sweep_task() -> dict:
    """Overdue reminders and escalation (each level once), and rating windows that closed."""
    from .services import settlements_sweep

    return settlements_sweep()
