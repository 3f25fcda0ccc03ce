"""Celery application. Every periodic schedule of the product is declared in
``shuyin.schedules.BEAT_SCHEDULE`` so that timers live in one place."""
import os

from celery import Celery
from celery.signals import (
    after_setup_logger,
    after_setup_task_logger,
    before_task_publish,
    task_postrun,
    task_prerun,
)

from apps.observability import logs, requestid

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shuyin.settings.dev")

app = Celery("shuyin")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The request id of the web request (or task) that queued a task travels in a message header; the worker runs the
# task under it, so the task's log lines carry the id of the request that caused them (apps/observability).
before_task_publish.connect(requestid.celery_before_publish, weak=False, dispatch_uid="shuyin_request_id_publish")
task_prerun.connect(requestid.celery_prerun, weak=False, dispatch_uid="shuyin_request_id_prerun")
task_postrun.connect(requestid.celery_postrun, weak=False, dispatch_uid="shuyin_request_id_postrun")


# With LOG_FORMAT=json (production) the worker's and beat's handlers write JSON lines with the request id.
@after_setup_logger.connect(weak=False, dispatch_uid="shuyin_json_logs")
@after_setup_task_logger.connect(weak=False, dispatch_uid="shuyin_json_task_logs")
def _json_logs(logger=None, **kwargs):
    logs.celery_json_handlers(logger)
