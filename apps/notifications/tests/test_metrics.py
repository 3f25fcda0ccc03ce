"""/metrics reports this app's failed and retrying deliveries (apps/notifications/metrics.py)."""
import re
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from apps.notifications.models import Delivery

pytestmark = pytest.mark.django_db


def _value(text: str, name: str) -> float:
    m = re.search(rf"^{re.escape(name)} (\S+)$", text, re.MULTILINE)
    assert m, f"{name} not in /metrics"
    return float(m.group(1))


def _delivery(status, **kw):
    return Delivery.objects.create(event="offer.created", channel="email", recipient="a***@example.com",
                                   subject="新派单", status=status, **kw)


@override_settings(METRICS_CACHE_SECONDS=0)
def test_failed_and_retrying_deliveries_are_gauges(client):
    for _ in range(3):
        _delivery(Delivery.Status.FAILED)
    _delivery(Delivery.Status.RETRYING)
    _delivery(Delivery.Status.SENT)
    old = _delivery(Delivery.Status.FAILED)
    Delivery.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=2))
    text = client.get("/metrics").content.decode()
    assert _value(text, "shuyin_notification_failures") == 3  # the one from two days ago has aged out
    assert _value(text, "shuyin_notification_retrying") == 1
