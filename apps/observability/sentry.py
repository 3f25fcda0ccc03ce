"""Sentry error reporting, on only when SENTRY_DSN is set (settings call ``sentry_init``).

Unhandled exceptions of requests (Django integration) and of Celery tasks (Celery integration, also beat's
schedule when a worker fails a task) are sent with the request id as the ``request_id`` tag, so an error report
leads to the JSON log lines of the same request. ``send_default_pii`` stays off: the portal holds ID numbers,
mobile numbers and bank details, none of which may leave it in an error report."""
import logging


def _before_send(event, hint):
    from .requestid import request_id

    rid = request_id()
    if rid:
        event.setdefault("tags", {})["request_id"] = rid
    return event


def sentry_init(*, dsn: str, environment: str, release: str | None, traces_sample_rate: float) -> None:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration
    from sentry_sdk.integrations.logging import LoggingIntegration
    from sentry_sdk.integrations.redis import RedisIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release,
        send_default_pii=False,
        max_request_body_size="never",
        traces_sample_rate=traces_sample_rate,
        integrations=[DjangoIntegration(), CeleryIntegration(monitor_beat_tasks=False),
                      LoggingIntegration(level=logging.INFO, event_level=logging.ERROR)],
        # Redis breadcrumbs name the keys read: the session cache's keys are session ids (a signed-in user's
        # credential). Not sent.
        disabled_integrations=[RedisIntegration()],
        before_send=_before_send,
    )
