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
