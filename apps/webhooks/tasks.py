from celery import shared_task


@shared_task(name="webhooks.deliver", acks_late=True)
def deliver(delivery_id: int) -> str:
    """One attempt of a webhook delivery (queue ``webhooks``); the next one is queued by the service."""
    from .services import deliver as deliver_once

    return deliver_once(delivery_id)


@shared_task(name="webhooks.sweep")
def sweep_task() -> dict:
    """Deliveries whose task was lost, and 派单即将超时 events."""
    from .services import sweep

    return sweep()
