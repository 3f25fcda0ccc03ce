"""Log formats: ``plain`` (development, tests, ``make run``) or ``json`` (production: one JSON object a line, for
a log collector), both carrying the request id. Used by settings (``logging_config``) and by the Celery worker and
beat (``celery_json_handlers``). No imports of project apps or of Django settings at import time."""
import logging

JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(process)d %(message)s %(request_id)s"
PLAIN_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


def json_formatter():
    from pythonjsonlogger.json import JsonFormatter

    return JsonFormatter(JSON_FIELDS, rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
                         json_ensure_ascii=False, timestamp=False)


def logging_config(*, fmt: str, level: str) -> dict:
    """Django's LOGGING for ``fmt`` (plain/json) at ``level``."""
    formatter = {"()": "apps.observability.logs.json_formatter"} if fmt == "json" else {"format": PLAIN_FORMAT}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "apps.observability.requestid.RequestIdFilter"}},
        "formatters": {"main": formatter},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "main", "filters": ["request_id"]}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {"axes": {"level": "WARNING"}},
    }


def celery_json_handlers(logger: logging.Logger) -> None:
    """after_setup_logger / after_setup_task_logger: Celery has set up its handlers (worker or beat); with
    LOG_FORMAT=json they write JSON lines with the request id instead of Celery's text format."""
    from django.conf import settings

    from .requestid import RequestIdFilter

    if getattr(settings, "LOG_FORMAT", "plain") != "json":
        return
    for handler in logger.handlers:
        handler.setFormatter(json_formatter())
        if not any(isinstance(f, RequestIdFilter) for f in handler.filters):
            handler.addFilter(RequestIdFilter())
