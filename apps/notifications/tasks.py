from celery import shared_task
from django.conf import settings


@shared_task(name="notifications.fanout")
def fanout_task(message_ids: list[int], event: str = "") -> int:
    """The channels beyond 站内信 for the messages one ``message_send`` wrote."""
    from .services import fanout

    return len(fanout(message_ids=message_ids, event=event))


@shared_task(bind=True, name="notifications.deliver", max_retries=None)
def deliver_task(self, delivery_id: int) -> str:
    """One delivery; a transient failure is retried with exponential backoff up to NOTIFY_MAX_RETRIES times."""
    from .channels import Transient
    from .services import backoff_seconds, delivery_attempt, delivery_give_up

    try:
        return delivery_attempt(delivery_id=delivery_id)
    except Transient as exc:
        if self.request.retries >= settings.NOTIFY_MAX_RETRIES:
            delivery_give_up(delivery_id=delivery_id, reason=str(exc))
            return "failed"
        raise self.retry(countdown=backoff_seconds(self.request.retries), exc=exc)


@shared_task(name="notifications.reminders")
def reminders_task() -> dict:
    """Deadline reminders: offers, the client's choice, settlements and complaint steps (each once)."""
    from .reminders import reminders_sweep

    return reminders_sweep()
