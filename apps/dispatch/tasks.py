import logging

from celery import shared_task

log = logging.getLogger(__name__)


def start_after_review(application_id: int) -> None:
    """The applications app's on_ready hook: dispatch at once after 贷审 passes the application. If this
    fails, the application stays 待派发 and the next sweep starts it."""
    from .services import dispatch_start

    try:
        dispatch_start(application_id=application_id, only_ready=True)
    except Exception:  # noqa: BLE001 — the sweep retries; the reviewer's action has already committed
        log.exception("dispatch of application %s failed; the sweep will retry", application_id)


@shared_task(name="dispatch.sweep")
def sweep_task() -> dict:
    """Every minute: start applications left 待派发, then apply every due deadline exactly once."""
    from .services import dispatch_start_pending, timers_sweep

    return {"started": dispatch_start_pending(), "timers": timers_sweep()}


@shared_task(name="dispatch.health")
def health_task() -> dict:
    """Every few minutes: the health check (体检) and a fresh score for every profile (positions move with
    recharges and transfers too)."""
    from .scoring import health_refresh, profiles_rescore

    return {"changed": health_refresh(), "rescored": profiles_rescore()}
