"""All periodic (Celery beat) schedules in one place.

Each entry names a task that calls a service; the services are idempotent
(compare-and-set), so a schedule that fires twice or late does the right thing once.
Intervals can be shortened for tests with SHUYIN_BEAT_SCALE (seconds multiplier).
"""
import os

from celery.schedules import crontab

_SCALE = float(os.environ.get("SHUYIN_BEAT_SCALE", "1"))


def every(seconds: float) -> float:
    return max(seconds * _SCALE, 0.5)


BEAT_SCHEDULE = {
    "common.heartbeat": {"task": "common.heartbeat", "schedule": every(60)},
    "applications.tally_compact": {"task": "applications.tally_compact", "schedule": every(60)},
    "positions.expire_recharges": {"task": "positions.expire_recharges", "schedule": every(60)},
    "positions.reconcile_recharges": {"task": "positions.reconcile_recharges", "schedule": every(120)},
    "dispatch.sweep": {"task": "dispatch.sweep", "schedule": every(60)},
    "dispatch.health": {"task": "dispatch.health", "schedule": every(300)},
    "settlement.sweep": {"task": "settlement.sweep", "schedule": every(600)},
    "complaints.sweep": {"task": "complaints.sweep", "schedule": every(600)},
    "reports.expire_exports": {"task": "reports.expire_exports", "schedule": every(3600)},
    "reports.rankings": {"task": "reports.rankings", "schedule": every(3600)},
    "positions.ledger_check": {"task": "positions.ledger_check", "schedule": crontab(hour=2, minute=30)},
}
