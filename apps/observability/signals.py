"""Keeps the last result of ``positions.ledger_check`` for the metrics (``shuyin_ledger_check_breaches``).

The task returns the number of breaches it found and messages the administrators itself; this only writes that
number down when the task ends, in the worker that ran it (a failed run is recorded as not ok, value unknown)."""
from celery.signals import task_postrun
from django.db import transaction
from django.utils import timezone

LEDGER_CHECK_TASK = "positions.ledger_check"


@task_postrun.connect(dispatch_uid="observability_ledger_check_result")
def _ledger_check_finished(task=None, retval=None, state=None, **kwargs):
    if getattr(task, "name", "") != LEDGER_CHECK_TASK:
        return
    succeeded = state == "SUCCESS" and isinstance(retval, int)
    check_result_record(name=LEDGER_CHECK_TASK, ok=succeeded and retval == 0,
                        value=retval if succeeded else None,
                        detail="" if succeeded else f"任务未完成：{retval!r}"[:300])


def check_result_record(*, name: str, ok: bool, value: int | None, detail: str = "") -> None:
    from .models import CheckResult

    with transaction.atomic():
        CheckResult.objects.update_or_create(
            name=name, defaults={"finished_at": timezone.now(), "ok": ok, "value": value, "detail": detail})
