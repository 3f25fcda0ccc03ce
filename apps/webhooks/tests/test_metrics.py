"""/metrics reports failed and retrying webhook deliveries and endpoints switched off (apps/webhooks/metrics.py)."""
import re
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from apps.webhooks.models import Delivery, Endpoint

pytestmark = pytest.mark.django_db


def _value(text: str, name: str) -> float:
    m = re.search(rf"^{re.escape(name)} (\S+)$", text, re.MULTILINE)
    assert m, f"{name} not in /metrics"
    return float(m.group(1))


@override_settings(METRICS_CACHE_SECONDS=0)
def test_webhook_failures_are_gauges(client, partners):
    (p,) = partners(1)
    live = Endpoint.objects.create(institution=p.org, url="https://hooks.example.com/a", events=["offer.created"],
                                   secret="s")
    Endpoint.objects.create(institution=p.org, url="https://hooks.example.com/b", events=["offer.created"],
                            secret="s", is_active=False, disabled_reason="连续失败 5 次，已自动停用")
    Endpoint.objects.create(institution=p.org, url="https://hooks.example.com/c", events=["offer.created"],
                            secret="s", is_active=False)  # switched off by hand: not a failure
    now = timezone.now()
    for status, age in [("failed", 0), ("failed", 0), ("failed", 2), ("retrying", 0), ("succeeded", 0)]:
        Delivery.objects.create(endpoint=live, event="offer.created", status=status,
                                created_at=now - timedelta(days=age))
    text = client.get("/metrics").content.decode()
    assert _value(text, "shuyin_webhook_failures") == 2
    assert _value(text, "shuyin_webhook_retrying") == 1
    assert _value(text, "shuyin_webhook_endpoints_disabled") == 1
