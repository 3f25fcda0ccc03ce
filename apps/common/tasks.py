from celery import shared_task
from django.db.models import F
from django.utils import timezone

from .models import Heartbeat


@shared_task(name="common.heartbeat")
def heartbeat(name: str = "beat") -> None:
    """Proves that beat schedules and a worker runs them (shown on the platform dashboard)."""
    now = timezone.now()
    updated = Heartbeat.objects.filter(name=name).update(last_seen_at=now, count=F("count") + 1)
    if not updated:
        Heartbeat.objects.get_or_create(name=name, defaults={"last_seen_at": now, "count": 1})
