"""An offer lapses by itself at its own deadline: real Celery beat schedules the sweep, a real worker runs it on
PostgreSQL via Redis, and the deadline stored in the database is applied exactly once."""
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.applications.models import Application, Status as AppStatus
from apps.dispatch import services
from apps.dispatch.models import Candidate, Dispatch, Round, Timer

from conftest import wait_for

pytestmark = [pytest.mark.celery]


def test_round_lapses_on_its_own(celery_stack, cast, partners, bulk_ready, books_balance):
    (p,) = partners(1)
    (app,) = bulk_ready(1)
    d = services.dispatch_start(application_id=app.pk)
    # the acceptance window is about to close: move the stored deadline 3 seconds ahead of real time
    soon = timezone.now() + timedelta(seconds=3)
    Round.objects.filter(dispatch=d).update(deadline=soon)
    Candidate.objects.filter(dispatch=d).update(deadline=soon)
    Timer.objects.filter(dispatch=d).update(due_at=soon)
    celery_stack(beat=True, scale=0.02)  # the minute sweep runs every 1.2 s

    ok = wait_for(lambda: Dispatch.objects.get(pk=d.pk).status == Dispatch.Status.FAILED, timeout=90)
    logs = "".join(f.read_text() for f in celery_stack.logs.glob("*.log"))
    assert ok, logs[-3000:]
    assert Candidate.objects.get(dispatch=d).status == Candidate.Status.LAPSED
    assert Application.objects.get(pk=app.pk).status == AppStatus.REDISPATCH
    timer = Timer.objects.get(dispatch=d, kind=Timer.Kind.OFFER)
    assert timer.done_at is not None and timer.done_at >= soon and timer.outcome == "派单超时未处理"
    assert Timer.objects.get(dispatch=d, kind=Timer.Kind.ROUND).done_at is not None  # the refill point, too
    assert d.events.filter(text__contains="超时未处理").count() == 1
    books_balance()
