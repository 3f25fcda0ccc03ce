"""Database helpers shared by the services."""
import functools
import random
import time

from django.db import OperationalError, connection
from psycopg2 import errors


def retry_on_conflict(func=None, *, attempts: int = 3):
    """Run a service again (from the start, in a new transaction) when PostgreSQL aborted it as a deadlock
    victim or a serialization failure. The services lock in a fixed order so this is rare; it is the
    standard answer to the cases no order can exclude. Only for outermost calls (not inside atomic)."""
    def wrap(fn):
        @functools.wraps(fn)
        def run(*args, **kwargs):
            for attempt in range(1, attempts + 1):
                try:
                    return fn(*args, **kwargs)
                except OperationalError as exc:
                    retryable = isinstance(exc.__cause__, (errors.DeadlockDetected, errors.SerializationFailure))
                    if not retryable or attempt == attempts or connection.in_atomic_block:
                        raise
                    time.sleep(random.uniform(0.01, 0.05) * attempt)
        return run

    return wrap(func) if func is not None else wrap


def daily_sequence_next(table: str, day) -> int:
    """The next number of ``day`` in a (day primary key, last) counter table, in one atomic upsert:
    concurrent callers queue on the day's row, and a rolled-back caller gives its number back (the
    increment is part of its transaction), so numbers have no gaps."""
    with connection.cursor() as cur:
        cur.execute(f"INSERT INTO {table} (day, last) VALUES (%s, 1)"  # noqa: S608 — table is a code constant
                    f" ON CONFLICT (day) DO UPDATE SET last = {table}.last + 1 RETURNING last", [day])
        return cur.fetchone()[0]
