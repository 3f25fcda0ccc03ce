"""Timers really run: a real Celery beat schedules and a real worker executes on PostgreSQL via Redis."""
import pytest

from apps.common.models import Heartbeat
from conftest import wait_for

pytestmark = [pytest.mark.celery]


def test_beat_and_worker_run_the_heartbeat(celery_stack):
    celery_stack(beat=True, scale=0.02)
    ok = wait_for(lambda: Heartbeat.objects.filter(name="beat", count__gte=3).exists())
    logs = "".join(p.read_text() for p in celery_stack.logs.glob("*.log"))
    assert ok, logs[-3000:]


def test_task_sent_from_django_runs_on_worker(celery_stack):
    from django.test import override_settings

    from apps.common.tasks import heartbeat

    env = celery_stack(beat=False)
    with override_settings(CELERY_TASK_DEFAULT_QUEUE=env["CELERY_QUEUE"]):
        heartbeat.apply_async(args=["manual"], queue=env["CELERY_QUEUE"])
    assert wait_for(lambda: Heartbeat.objects.filter(name="manual").exists())
