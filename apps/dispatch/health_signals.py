"""Signals about an institution that other apps know and the health check needs. Settlement registers
how to count overdue settlements; until an app registers a source the count is zero (no settlement can be
overdue before settlement exists)."""
_overdue_sources: list = []


def register_overdue_source(func):
    """``func(institution_ids, now=...) -> {institution_id: count}``."""
    _overdue_sources.append(func)
    return func


def overdue_settlements(institution_ids, *, now) -> dict[int, int]:
    totals: dict[int, int] = {}
    for source in _overdue_sources:
        for inst_id, n in source(institution_ids, now=now).items():
            totals[inst_id] = totals.get(inst_id, 0) + n
    return totals
