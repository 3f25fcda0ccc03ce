"""The scheduler's health as the platform home shows it: every beat task's last run, result and next run.

A Celery signal pair records each run of a task that ``shuyin.schedules.BEAT_SCHEDULE`` names, in the task's
``Heartbeat`` row: one UPDATE (an INSERT the first time) per run, at most a few a minute, so it costs nothing next to
the work itself. The next run is computed from the schedule and the last run; a task whose next run is well past
is shown as overdue (beat or the worker is down)."""
import time
from datetime import timedelta

from celery.schedules import crontab
from celery.signals import task_postrun, task_prerun
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .models import Heartbeat

_started: dict[str, float] = {}  # task id -> monotonic start, this worker process only


def _entries() -> dict[str, str]:
    """task name -> schedule name."""
    from shuyin.schedules import BEAT_SCHEDULE

    return {entry["task"]: name for name, entry in BEAT_SCHEDULE.items()}


@task_prerun.connect(dispatch_uid="beat_health_prerun")
def _on_prerun(task_id=None, task=None, **kwargs):
    if task is not None and task.name in _entries():
        _started[task_id] = time.monotonic()


@task_postrun.connect(dispatch_uid="beat_health_postrun")
def _on_postrun(task_id=None, task=None, retval=None, state=None, **kwargs):
    name = _entries().get(getattr(task, "name", ""))
    if name is None:
        return
    started = _started.pop(task_id, None)
    beat_run_record(name=name, ok=state == "SUCCESS", error="" if state == "SUCCESS" else repr(retval),
                    duration_ms=int((time.monotonic() - started) * 1000) if started is not None else None)


def beat_run_record(*, name: str, ok: bool, error: str = "", duration_ms: int | None = None) -> None:
    """Record one finished run of the beat task ``name`` (its own savepoint: a failed task's aborted transaction
    or a lost race never breaks the caller)."""
    now = timezone.now()
    fields = {"last_seen_at": now, "count": F("count") + 1, "last_ok": ok, "last_error": error[:300],
              "last_duration_ms": duration_ms}
    with transaction.atomic():
        if not Heartbeat.objects.filter(name=name).update(**fields):
            Heartbeat.objects.get_or_create(name=name, defaults={**fields, "count": 1})


def _interval(schedule) -> timedelta | None:
    if isinstance(schedule, (int, float)):
        return timedelta(seconds=schedule)
    if isinstance(schedule, timedelta):
        return schedule
    return getattr(schedule, "run_every", None) if not isinstance(schedule, crontab) else None


def beat_status(now=None) -> list[dict]:
    """One row per beat task, in the schedule's order: Chinese name, last run, next run, result, overdue."""
    from shuyin.schedules import BEAT_LABELS, BEAT_SCHEDULE

    now = now or timezone.now()
    beats = {hb.name: hb for hb in Heartbeat.objects.filter(name__in=list(BEAT_SCHEDULE))}
    rows = []
    for name, entry in BEAT_SCHEDULE.items():
        hb = beats.get(name)
        last = hb.last_seen_at if hb else None
        every = _interval(entry["schedule"])
        if every is not None:
            next_run = last + every if last else None
            grace = every * 2 + timedelta(minutes=1)
        else:  # crontab: its next match after the last run (or from now when it never ran)
            base = last or now
            next_run = now + entry["schedule"].remaining_estimate(base)
            next_run = (next_run + timedelta(seconds=30)).replace(second=0, microsecond=0)  # a crontab is whole minutes
            grace = timedelta(hours=1)
        overdue = next_run is not None and now > next_run + grace
        rows.append({"name": name, "label": BEAT_LABELS.get(name, name), "last": last, "next": next_run,
                     "ok": hb.last_ok if hb else None, "error": hb.last_error if hb else "",
                     "duration_ms": hb.last_duration_ms if hb else None, "count": hb.count if hb else 0,
                     "overdue": overdue})
    return rows
