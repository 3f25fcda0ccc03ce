"""Gauges this app adds to /metrics (found by apps.observability like urls.py is): deliveries that failed for
good, and deliveries still waiting for a retry. Both count the last day only, through the status index."""
from datetime import timedelta

from django.utils import timezone

from .models import Delivery


def _count(status: str) -> int:
    since = timezone.now() - timedelta(days=1)
    return Delivery.objects.filter(status=status, created_at__gte=since).count()


GAUGES = [
    ("shuyin_notification_failures", "最近 24 小时发送失败（不再重试）的通知条数（邮件、短信、群机器人）",
     lambda: _count(Delivery.Status.FAILED)),
    ("shuyin_notification_retrying", "等待重试的通知条数（最近 24 小时）", lambda: _count(Delivery.Status.RETRYING)),
]
