"""Gauges this app adds to /metrics (found by apps.observability like urls.py is): deliveries that failed for
good in the last day, deliveries waiting for a retry, and endpoints switched off for failing."""
from datetime import timedelta

from django.utils import timezone

from .models import Delivery, Endpoint


def _deliveries(status: str) -> int:
    since = timezone.now() - timedelta(days=1)
    return Delivery.objects.filter(status=status, created_at__gte=since).count()


GAUGES = [
    ("shuyin_webhook_failures", "最近 24 小时最终失败的 Webhook 推送条数", lambda: _deliveries(Delivery.Status.FAILED)),
    ("shuyin_webhook_retrying", "等待重试的 Webhook 推送条数（最近 24 小时）",
     lambda: _deliveries(Delivery.Status.RETRYING)),
    ("shuyin_webhook_endpoints_disabled", "因连续失败被停用的 Webhook 端点数",
     lambda: Endpoint.objects.filter(is_active=False).exclude(disabled_reason="").count()),
]
