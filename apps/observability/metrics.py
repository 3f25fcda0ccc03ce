"""``/metrics`` in the Prometheus text format, for the addresses in ``METRICS_ALLOWED_IPS`` only (others get the
ordinary 404 page: the endpoint does not exist for them). The connection's own address (``REMOTE_ADDR``) decides,
never a forwarded header: Prometheus scrapes each web host directly, not through the public proxy.

Two parts:

* request rates and latencies from django-prometheus' middleware (per view and method, status codes, exceptions),
  summed over gunicorn's worker processes when ``PROMETHEUS_MULTIPROC_DIR`` is set;
* the product's gauges, computed at scrape time by a few indexed queries and kept in the cache for
  ``METRICS_CACHE_SECONDS`` (15), so several Prometheus servers or a fast scrape interval cost one computation.
  Each group runs in its own savepoint under a statement timeout: a slow or missing table costs that group (counted
  in ``shuyin_metrics_errors``), never the scrape.

Another app adds gauges of its own in ``apps/<app>/metrics.py`` (found like urls.py; nothing to register in
``ready()``)::

    GAUGES = [("shuyin_notification_failures", "站内/短信通知发送失败且未重试成功的条数",
               lambda: Notification.objects.filter(status="failed").count())]

a callable returning a number, or a list of ``({label: value}, number)`` pairs."""
import ipaddress
import logging
import math
import os
import time
from functools import lru_cache

from django.conf import settings
from django.http import Http404, HttpResponse
from django.views.decorators.cache import never_cache

logger = logging.getLogger(__name__)

CACHE_KEY = "observability:gauges:v1"


# ---- who may read ------------------------------------------------------------------------------------------------
@lru_cache(maxsize=8)
def _networks(raw: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(item, strict=False) for item in raw)


def metrics_allowed(remote_addr: str | None) -> bool:
    try:
        addr = ipaddress.ip_address((remote_addr or "").strip())
    except ValueError:
        return False
    if addr.version == 6 and addr.ipv4_mapped:
        addr = addr.ipv4_mapped
    return any(addr in net for net in _networks(tuple(settings.METRICS_ALLOWED_IPS)))


# ---- the product's gauges -------------------------------------------------------------------------------------------
def _q(fn):
    """Run one group under a statement timeout in its own savepoint."""
    from django.db import connection, transaction

    with transaction.atomic():
        with connection.cursor() as cur:
            cur.execute("SET LOCAL statement_timeout = %s", [int(float(settings.METRICS_QUERY_TIMEOUT) * 1000)])
        return fn()


def _dispatch() -> list:
    from apps.common import clock
    from apps.dispatch.models import Candidate, Timer

    from .health import timer_lag

    due = Timer.objects.filter(done_at__isnull=True, due_at__lte=clock.now()).count()
    return [
        ("shuyin_dispatch_timer_lag_seconds", "最早一个已到期而未处理的派发计时（机构受理截止、补全轮次、客户确认截止）迟了多少秒",
         [({}, timer_lag())]),
        ("shuyin_dispatch_timers_due", "已到期而未处理的派发计时条数", [({}, due)]),
        ("shuyin_dispatch_offers_open", "待机构受理的派单数（状态 待受理）",
         [({}, Candidate.objects.filter(status=Candidate.Status.OFFERED).count())]),
    ]


def _holds() -> list:
    from django.db.models import Count, Sum

    from apps.positions.models import Hold

    agg = Hold.objects.filter(status=Hold.Status.ACTIVE).aggregate(n=Count("id"), total=Sum("amount"))
    return [
        ("shuyin_holds_active", "冻结中的头寸笔数", [({}, agg["n"])]),
        ("shuyin_holds_active_amount_yuan", "冻结中的头寸合计（元）", [({}, float(agg["total"] or 0))]),
    ]


def _exports() -> list:
    from django.db.models import Count

    from apps.reports.models import ExportJob

    counts = dict(ExportJob.objects.filter(status__in=[ExportJob.Status.QUEUED, ExportJob.Status.RUNNING])
                  .values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    return [("shuyin_export_jobs", "报表导出任务：排队中（queued）与生成中（running）",
             [({"status": s}, counts.get(s, 0)) for s in ("queued", "running")])]


def _beat() -> list:
    from django.utils import timezone

    from apps.common.models import Heartbeat
    from shuyin.schedules import BEAT_SCHEDULE

    from .health import beat_state

    state = beat_state()
    now = timezone.now()
    rows = list(Heartbeat.objects.filter(name__in=list(BEAT_SCHEDULE)).values_list("name", "last_seen_at", "last_ok"))
    nan = math.nan
    return [
        ("shuyin_beat_heartbeat_age_seconds", "距上次 common.heartbeat（调度与执行进程都在）的秒数；从未运行为 NaN",
         [({}, nan if state["heartbeat_age_s"] is None else state["heartbeat_age_s"])]),
        ("shuyin_beat_lock_held", "是否有 beat 进程持有调度锁（1/0）", [({}, 0 if state["lock_age_s"] is None else 1)]),
        ("shuyin_beat_lock_age_seconds", "持锁的 beat 上次续锁至今的秒数；无人持锁为 NaN",
         [({}, nan if state["lock_age_s"] is None else state["lock_age_s"])]),
        ("shuyin_beat_task_last_run_age_seconds", "每个定时任务上次运行结束至今的秒数",
         [({"task": name}, (now - last).total_seconds()) for name, last, _ok in rows]),
        ("shuyin_beat_task_last_ok", "每个定时任务上次运行是否成功（1/0）",
         [({"task": name}, 1 if ok else 0) for name, _last, ok in rows if ok is not None]),
    ]


def _ledger() -> list:
    from .models import CheckResult
    from .signals import LEDGER_CHECK_TASK

    row = CheckResult.objects.filter(name=LEDGER_CHECK_TASK).first()
    if row is None:
        return [("shuyin_ledger_check_ok", "最近一次账务核对是否通过（1/0）；从未运行时无此值", [])]
    return [
        ("shuyin_ledger_check_ok", "最近一次账务核对是否通过（1/0）", [({}, 1 if row.ok else 0)]),
        ("shuyin_ledger_check_breaches", "最近一次账务核对发现的异常数；任务失败为 NaN",
         [({}, math.nan if row.value is None else row.value)]),
        ("shuyin_ledger_check_last_run_timestamp_seconds", "最近一次账务核对结束的时间（Unix 秒）",
         [({}, row.finished_at.timestamp())]),
    ]


def _queues() -> list:
    """Messages waiting in each Celery queue (Redis lists named after the queues)."""
    from shuyin.celery import app

    names = [settings.CELERY_QUEUE, settings.CELERY_TIMERS_QUEUE, settings.CELERY_EXPORTS_QUEUE]
    with app.connection_for_read() as conn:
        client = getattr(conn.default_channel, "client", None)
        if client is None:  # not a Redis broker
            return []
        return [("shuyin_celery_queue_length", "Celery 队列中等待执行的消息数",
                 [({"queue": name}, client.llen(name)) for name in names])]


def _app_gauges() -> list:
    from apps.common.discovery import app_modules

    out = []
    for _config, module in app_modules("metrics"):
        for name, doc, fn in getattr(module, "GAUGES", []):
            value = _q(fn)
            samples = value if isinstance(value, list) else [({}, value)]
            out.append((name, doc, [(labels, float(v)) for labels, v in samples]))
    return out


GROUPS = {"dispatch": _dispatch, "holds": _holds, "exports": _exports, "beat": _beat, "ledger": _ledger,
          "queues": _queues, "apps": _app_gauges}


def product_gauges() -> list:
    """[(name, help, [(labels, value), ...]), ...] — from the cache when fresh enough."""
    from django.core.cache import cache

    ttl = int(settings.METRICS_CACHE_SECONDS)
    if ttl:
        try:
            cached = cache.get(CACHE_KEY)
        except Exception:  # Redis down: compute (what can be computed) anyway
            cached = None
        if cached is not None:
            return cached
    started = time.monotonic()
    gauges, errors = [], []
    for group, fn in GROUPS.items():
        try:
            gauges.extend(fn() if group in ("queues", "apps") else _q(fn))
            errors.append(({"group": group}, 0))
        except Exception:  # a warning, not an error: the gauge below is the alert (and Sentry is not spammed)
            logger.warning("metrics: the %s gauges could not be computed", group, exc_info=True)
            errors.append(({"group": group}, 1))
    gauges.append(("shuyin_metrics_errors", "本次计算失败的指标组（1 = 失败，详见日志）", errors))
    gauges.append(("shuyin_metrics_compute_seconds", "计算产品指标所用秒数", [({}, time.monotonic() - started)]))
    if ttl:
        try:
            cache.set(CACHE_KEY, gauges, ttl)
        except Exception:
            pass
    return gauges


class ProductCollector:
    def collect(self):
        from prometheus_client.core import GaugeMetricFamily

        for name, doc, samples in product_gauges():
            labelnames = sorted({k for labels, _v in samples for k in labels})
            family = GaugeMetricFamily(name, doc, labels=labelnames)
            for labels, value in samples:
                family.add_metric([str(labels.get(k, "")) for k in labelnames], float(value))
            yield family


def _registries():
    import prometheus_client
    from prometheus_client import CollectorRegistry

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        base = CollectorRegistry()
        multiprocess.MultiProcessCollector(base)
    else:
        base = prometheus_client.REGISTRY
    product = CollectorRegistry(auto_describe=False)
    product.register(ProductCollector())
    return base, product


@never_cache
def metrics(request):
    if not metrics_allowed(request.META.get("REMOTE_ADDR")):
        raise Http404
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    body = b"".join(generate_latest(registry) for registry in _registries())
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
