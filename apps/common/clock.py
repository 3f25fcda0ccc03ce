"""The one clock of every deadline (dispatch rounds, the client's choice window, settlement and
complaint due dates). Services call ``clock.now()`` instead of ``timezone.now()`` so that tests, and
the simulated-time runs, can move time forward without sleeping. ``shift`` only affects this process:
the Celery processes of the integration tests run on real time."""
from contextlib import contextmanager
from datetime import date, datetime, timedelta

from django.utils import timezone

_offset = timedelta(0)


def now() -> datetime:
    return timezone.now() + _offset


def shift(delta: timedelta) -> None:
    """Move this process's clock forward (or back) by ``delta``."""
    global _offset
    _offset += delta


def reset() -> None:
    global _offset
    _offset = timedelta(0)


@contextmanager
def travel(delta: timedelta):
    shift(delta)
    try:
        yield
    finally:
        shift(-delta)


def today():
    """Today's date in Asia/Shanghai (the UTC date is wrong between 00:00 and 08:00 Beijing time)."""
    return timezone.localdate(now())


def local_date(moment) -> date:
    return timezone.localdate(moment)
