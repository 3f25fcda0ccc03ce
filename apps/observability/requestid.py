"""The request id: one per web request (the caller's ``X-Request-ID`` when it is a sane token, else a new one),
returned in the response, added to every log record, and carried into the Celery tasks the request queues (a
message header that the worker puts back into the same context variable while the task runs).

No imports of project apps: shuyin/celery.py and the logging configuration use this module."""
import logging
import re
import uuid
from contextlib import contextmanager
from contextvars import ContextVar

HEADER = "X-Request-ID"
TASK_HEADER = "shuyin_request_id"  # the Celery message header
_SANE = re.compile(r"^[A-Za-z0-9._:@/+=-]{1,128}$")

_current: ContextVar[str] = ContextVar("shuyin_request_id", default="")


def request_id() -> str:
    """The request id of the request or task being handled here ('' outside both)."""
    return _current.get()


def request_id_clean(value: str | None) -> str:
    """The caller's id when it is a short token of safe characters (it ends up in logs and headers); else a new
    one. A load balancer's or nginx's ``$request_id`` passes unchanged."""
    value = (value or "").strip()
    return value if _SANE.match(value) else uuid.uuid4().hex


def request_id_set(value: str):
    """Set the current id; returns the token for ``request_id_reset``."""
    return _current.set(value)


def request_id_reset(token) -> None:
    _current.reset(token)


@contextmanager
def request_id_scope(value: str):
    token = _current.set(value)
    try:
        yield value
    finally:
        _current.reset(token)


def request_id_clear(**kwargs) -> None:
    """request_finished: the request is over (its last log line written); the thread serves another next."""
    _current.set("")


class RequestIdFilter(logging.Filter):
    """Adds ``record.request_id`` ('-' when none) so every formatter can name it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = _current.get() or "-"
        return True


# ---- Celery: the id travels in a message header -------------------------------------------------------------------
def celery_before_publish(headers=None, **kwargs):
    """before_task_publish: a task queued while a request (or a task) is handled carries its id."""
    rid = _current.get()
    if rid and headers is not None and not headers.get(TASK_HEADER):
        headers[TASK_HEADER] = rid


_task_tokens: dict[str, object] = {}


def celery_prerun(task_id=None, task=None, **kwargs):
    """task_prerun: the task runs under the id of the request that queued it (the task's own id when none)."""
    req = getattr(task, "request", None)
    # protocol 2 copies custom message headers onto the request context; older paths keep them in .headers
    rid = (getattr(req, TASK_HEADER, None) or (getattr(req, "headers", None) or {}).get(TASK_HEADER) or "") \
        if req is not None else ""
    _task_tokens[task_id] = _current.set(request_id_clean(rid) if rid else f"task-{task_id}")


def celery_postrun(task_id=None, **kwargs):
    token = _task_tokens.pop(task_id, None)
    if token is not None:
        try:
            _current.reset(token)
        except ValueError:  # set in another context (should not happen in a prefork child): just clear it
            _current.set("")
