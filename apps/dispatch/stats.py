"""Changes to institutions' dispatch statistics, collected during one transaction and applied at its end.

Many transactions touch the same few ``Profile`` rows (every round offers, lapses and rescores several
institutions). Updating them as the work goes would lock them in whatever order the work happens, and two
sweeps (or a sweep and a person) could then wait on each other. Instead every service records its deltas
here and the collector applies them just before commit, locking the rows in id order: the one global
order, so no cycle is possible. The concurrent-capacity counter goes the same way: ``offer_accept`` checks
for a free unit as it decides, and the collector takes the unit with a compare-and-set in that same id
order; if the unit went meanwhile it raises ``CapacityFull`` and the whole accept is undone (the caller
answers again, as a refusal). Taking it at once would hold that profile row while the collector waits for
rows of lower id, which deadlocked under load."""
import contextvars
from collections import defaultdict
from contextlib import contextmanager

from django.db.models import F

from . import scoring
from .models import Profile

_current: contextvars.ContextVar = contextvars.ContextVar("dispatch_profile_deltas", default=None)
_NOT_SCORED = {"dispatched_count", "lost_count"}


class CapacityFull(Exception):
    """The unit of capacity an accept counted on was taken by another transaction before this one committed."""


class Deltas:
    def __init__(self):
        self.counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.dispatched_at: dict[int, object] = {}
        self.medians: set[int] = set()
        self.capacity: set[int] = set()

    def add(self, profile_id: int, **fields: int) -> None:
        for name, value in fields.items():
            self.counts[profile_id][name] += value

    def apply(self, values: dict | None = None) -> None:
        ids = sorted(set(self.counts) | set(self.dispatched_at) | self.medians | self.capacity)
        if not ids:
            return
        list(Profile.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk", flat=True))
        for pid in sorted(self.capacity):
            if not Profile.objects.filter(pk=pid, active_cases__lt=F("capacity")).update(
                    active_cases=F("active_cases") + 1):
                raise CapacityFull(pid)
        rescore, rows = [], []
        fields = sorted({name for pid in ids for name, delta in self.counts[pid].items() if delta})
        for pid in ids:
            deltas = [self.counts[pid].get(name, 0) for name in fields]
            at = self.dispatched_at.get(pid)
            if any(deltas) or at is not None:
                rows.append((pid, *deltas, at))
            if pid in self.medians or {n for n, d in zip(fields, deltas) if d} - _NOT_SCORED:
                rescore.append(pid)
        if rows:  # every profile's counters in one statement (a sweep batch touches hundreds)
            _update_counts(fields, rows)
        for pid in sorted(self.medians):
            scoring.answer_median_refresh(pid)
        if rescore:
            scoring.profiles_rescore(rescore, values=values)


def _update_counts(fields: list[str], rows: list[tuple]) -> None:
    """Add ``rows`` = (profile id, delta per field…, last dispatched at or None) to the profiles, never below 0."""
    from django.db import connection

    table = Profile._meta.db_table
    columns = [Profile._meta.get_field(name).column for name in fields]
    sets = [f'"{c}" = GREATEST(p."{c}" + v."{c}", 0)' for c in columns]
    sets.append("last_dispatched_at = COALESCE(v.at, p.last_dispatched_at)")
    row = "(%s" + ", %s" * len(columns) + ", %s::timestamptz)"
    names = ", ".join(["id", *(f'"{c}"' for c in columns), "at"])
    with connection.cursor() as cur:
        cur.execute(f'UPDATE "{table}" p SET {", ".join(sets)} FROM (VALUES {", ".join([row] * len(rows))})'
                    f" AS v({names}) WHERE p.id = v.id", [value for r in rows for value in r])


@contextmanager
def collecting(values: dict | None = None):
    """Use inside ``transaction.atomic()``. Nested uses share the outermost collector, which applies."""
    outer = _current.get()
    if outer is not None:
        yield outer
        return
    deltas = Deltas()
    token = _current.set(deltas)
    try:
        yield deltas
        deltas.apply(values)
    finally:
        _current.reset(token)


def record(profile_id: int, **fields: int) -> None:
    """Add to counters of a profile (applied at the end of the transaction, or at once outside one)."""
    with collecting() as deltas:
        deltas.add(profile_id, **fields)


def dispatched(profile_ids, now) -> None:
    with collecting() as deltas:
        for pid in profile_ids:
            deltas.add(pid, dispatched_count=1)
            deltas.dispatched_at[pid] = now


def capacity_take(profile_id: int) -> None:
    """Take one unit of the profile's concurrent capacity when the transaction commits (``CapacityFull`` if
    none is left by then). Only inside ``collecting()``."""
    deltas = _current.get()
    assert deltas is not None, "capacity_take needs the collector of the transaction"
    deltas.capacity.add(profile_id)


def answered(profile_id: int, **fields: int) -> None:
    """An answer changes a counter and the median time to answer."""
    with collecting() as deltas:
        deltas.add(profile_id, **fields)
        deltas.medians.add(profile_id)
