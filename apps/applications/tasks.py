from celery import shared_task


@shared_task(name="applications.tally_compact")
def tally_compact_task() -> int:
    """Fold the status tally's deltas (see models.StatusTally)."""
    from .services import tally_compact

    return tally_compact()
