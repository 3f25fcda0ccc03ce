def ops_queue_counts(request):
    """Counts of the review queues this user works, for the operations top bar (one indexed count per queue)."""
    user = getattr(request, "user", None)
    if getattr(request, "area", "") != "ops" or not user or not user.is_authenticated:
        return {}
    from .selectors import QUEUES, queue_counts

    counts = queue_counts(user=user, sums=getattr(request, "queue_tally", None))
    return {"ops_queue_counts": [(name, QUEUES[name][0], n) for name, n in counts.items()]}
