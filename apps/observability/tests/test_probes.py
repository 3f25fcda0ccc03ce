"""The probes and the metrics in-process (the live stack reads them in tests/test_make_run.py): what each check
reports, the 503 when Redis is unreachable, who may read /metrics, the product's gauges, request ids in logs and
in the header of a queued Celery task."""
import json
import logging
import os
import re
import subprocess
import sys
from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import timezone

from apps.common.models import Heartbeat
from conftest import free_port

pytestmark = pytest.mark.django_db


def test_healthz_answers_without_session_host_check_or_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        resp = client.get("/healthz", HTTP_HOST="10.9.8.7:8000")  # a load balancer probes by address
    assert resp.status_code == 200 and resp.json() == {"status": "ok"}
    assert resp["Content-Type"] == "application/json" and "no-store" in resp["Cache-Control"]
    assert not resp.cookies  # no session, no CSRF cookie
    assert re.fullmatch(r"[0-9a-f]{32}", resp["X-Request-ID"])


class _Lines(logging.Handler):
    """Formats records as production does (JSON, request id filter at emission)."""

    def __init__(self):
        from apps.observability.logs import json_formatter
        from apps.observability.requestid import RequestIdFilter

        super().__init__()
        self.lines = []
        self.setFormatter(json_formatter())
        self.addFilter(RequestIdFilter())

    def emit(self, record):
        self.lines.append(json.loads(self.format(record)))


def test_request_id_is_honoured_returned_and_logged(client):
    from apps.observability.requestid import request_id

    lines = _Lines()
    logging.getLogger("django.request").addHandler(lines)
    try:
        resp = client.get("/ops/no-such-page/", HTTP_X_REQUEST_ID="lb-4f1c.77")
    finally:
        logging.getLogger("django.request").removeHandler(lines)
    assert resp.status_code == 404 and resp["X-Request-ID"] == "lb-4f1c.77"
    (line,) = [x for x in lines.lines if "no-such-page" in x["message"]]
    assert line["request_id"] == "lb-4f1c.77" and line["level"] == "WARNING" and line["logger"] == "django.request"
    assert request_id() == ""  # cleared when the request finished
    # a header that is not a short token (spaces, newlines: log injection) is replaced, never echoed
    resp = client.get("/healthz", HTTP_X_REQUEST_ID="x y\n{\"level\": \"ERROR\"}")
    assert re.fullmatch(r"[0-9a-f]{32}", resp["X-Request-ID"])
    assert client.get("/healthz")["X-Request-ID"] != resp["X-Request-ID"]


def test_readyz_reports_each_check(client, cast, partners, bulk_ready):
    from apps.dispatch import services
    from apps.dispatch.models import Timer

    resp = client.get("/readyz")
    body = resp.json()
    assert set(body["checks"]) == {"database", "redis", "broker", "beat", "timers"}
    for name in ("database", "redis", "broker", "timers"):
        assert body["checks"][name]["ok"] is True, body
    # no heartbeat yet: beat is down; the site still serves (200), marked degraded
    assert resp.status_code == 200 and body["status"] == "degraded" and body["failed"] == ["beat"], body
    assert body["checks"]["beat"]["heartbeat_age_s"] is None

    Heartbeat.objects.create(name="beat", last_seen_at=timezone.now() - timedelta(seconds=42), count=1)
    resp = client.get("/readyz")
    assert resp.status_code == 200 and resp.json()["status"] == "ok", resp.json()
    assert 41 <= resp.json()["checks"]["beat"]["heartbeat_age_s"] < 60

    # an offer's deadline passed ten minutes ago and no sweep applied it
    partners(1)
    (app,) = bulk_ready(1)
    d = services.dispatch_start(application_id=app.pk)
    Timer.objects.filter(dispatch=d, kind=Timer.Kind.OFFER).update(due_at=timezone.now() - timedelta(minutes=10))
    body = client.get("/readyz").json()
    assert body["status"] == "degraded" and body["failed"] == ["timers"]
    assert 590 < body["checks"]["timers"]["oldest_due_lag_s"] < 700
    with override_settings(READYZ_CRITICAL=["database", "redis", "broker", "timers"]):
        assert client.get("/readyz").status_code == 503


def test_readyz_is_503_when_redis_is_unreachable():
    """A process whose REDIS_URL points at a port nobody listens on (its own interpreter: settings are read at
    start): Redis and the broker fail, the database still answers."""
    from conftest import celery_env

    dead = f"redis://127.0.0.1:{free_port()}/0"
    env = {**celery_env("ready"), "REDIS_URL": dead, "READYZ_TIMEOUT": "1", "PYTHONPATH": str(settings.BASE_DIR)}
    env.pop("CELERY_BROKER_URL", None)
    code = ("import django, json; django.setup(); from django.test import Client; "
            "r = Client().get('/readyz'); print(r.status_code, r.content.decode())")
    out = subprocess.run([sys.executable, "-c", code], cwd=settings.BASE_DIR, env=env, capture_output=True,
                         text=True, timeout=60)
    status, _, body = out.stdout.strip().splitlines()[-1].partition(" ")
    body = json.loads(body)
    assert status == "503", out.stdout + out.stderr
    assert body["status"] == "unavailable" and {"redis", "broker"} <= set(body["failed"])
    assert body["checks"]["database"]["ok"] is True
    assert "Connection" in body["checks"]["redis"]["error"]


@override_settings(METRICS_CACHE_SECONDS=0)
def test_metrics_only_for_allowed_addresses(client):
    resp = client.get("/metrics")  # the test client's REMOTE_ADDR is 127.0.0.1: the default allows loopback
    assert resp.status_code == 200 and resp["Content-Type"].startswith("text/plain")
    resp = client.get("/metrics", REMOTE_ADDR="203.0.113.9")
    assert resp.status_code == 404 and "页面不存在" in resp.content.decode()
    with override_settings(METRICS_ALLOWED_IPS=["10.20.0.0/16", "2001:db8::/32"]):
        assert client.get("/metrics").status_code == 404  # loopback is no longer allowed
        assert client.get("/metrics", REMOTE_ADDR="10.20.3.4").status_code == 200
        assert client.get("/metrics", REMOTE_ADDR="2001:db8::7").status_code == 200
        # a forwarded header does not make an outsider an insider
        assert client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_X_REAL_IP="10.20.3.4",
                          HTTP_X_FORWARDED_FOR="10.20.3.4").status_code == 404


def _value(text: str, name: str, labels: str = "") -> float:
    m = re.search(rf"^{re.escape(name + labels)} (\S+)$", text, re.MULTILINE)
    assert m, f"{name}{labels} not in:\n{text[-3000:]}"
    return float(m.group(1))


@override_settings(METRICS_CACHE_SECONDS=0)
def test_product_gauges(client, cast, partners, bulk_ready, fund, books_balance):
    from apps.dispatch import services as dispatch
    from apps.dispatch.models import Timer
    from apps.positions import services as positions
    from apps.positions.tasks import ledger_check_task
    from apps.reports.models import ExportJob

    text = client.get("/metrics").content.decode()
    assert _value(text, "shuyin_dispatch_offers_open") == 0 and _value(text, "shuyin_holds_active") == 0
    assert "shuyin_ledger_check_breaches" not in text  # never ran
    assert _value(text, "shuyin_metrics_errors", '{group="dispatch"}') == 0

    partners(2)
    (app,) = bulk_ready(1)
    d = dispatch.dispatch_start(application_id=app.pk)
    late = Timer.objects.filter(dispatch=d, kind=Timer.Kind.OFFER).update(due_at=timezone.now() - timedelta(seconds=90))
    fund(cast.inst_a, clerk=cast.st, margin="1000")
    positions.hold_place(institution=cast.inst_a, ref_type="test", ref_id="m1", amount=Decimal("123.45"))
    positions.hold_place(institution=cast.inst_a, ref_type="test", ref_id="m2", amount=Decimal("100.00"))
    ExportJob.objects.create(report="ops", fmt="xlsx", title="t", requested_by=cast.cm)
    ledger_check_task.apply()  # runs the task here, with its signals: the result is written down
    Heartbeat.objects.create(name="beat", last_seen_at=timezone.now() - timedelta(seconds=30), count=1)

    # django-prometheus' request counters are there too
    client.get("/healthz")
    text = client.get("/metrics").content.decode()
    assert _value(text, "shuyin_dispatch_offers_open") == 2
    assert 85 <= _value(text, "shuyin_dispatch_timer_lag_seconds") < 200
    assert _value(text, "shuyin_dispatch_timers_due") == late >= 1
    assert _value(text, "shuyin_holds_active") == 2
    assert _value(text, "shuyin_holds_active_amount_yuan") == 223.45
    assert _value(text, "shuyin_export_jobs", '{status="queued"}') == 1
    assert _value(text, "shuyin_export_jobs", '{status="running"}') == 0
    assert _value(text, "shuyin_ledger_check_ok") == 1 and _value(text, "shuyin_ledger_check_breaches") == 0
    assert 29 <= _value(text, "shuyin_beat_heartbeat_age_seconds") < 90
    assert _value(text, "shuyin_celery_queue_length", f'{{queue="{settings.CELERY_EXPORTS_QUEUE}"}}') >= 0
    assert "django_http_requests_total_by_method_total" in text or "django_http_requests_total_by_method" in text
    assert all(_value(text, "shuyin_metrics_errors", f'{{group="{g}"}}') == 0
               for g in ("dispatch", "holds", "exports", "beat", "ledger", "queues", "apps"))
    books_balance()


def test_ledger_check_breach_is_a_metric(client, cast):
    from apps.observability.signals import LEDGER_CHECK_TASK, check_result_record

    check_result_record(name=LEDGER_CHECK_TASK, ok=False, value=3)
    with override_settings(METRICS_CACHE_SECONDS=0):
        text = client.get("/metrics").content.decode()
    assert _value(text, "shuyin_ledger_check_ok") == 0 and _value(text, "shuyin_ledger_check_breaches") == 3


def test_an_app_adds_gauges_through_its_metrics_module(client, monkeypatch):
    """apps/<app>/metrics.py with GAUGES (how notifications and webhooks report their failures)."""
    import types

    from apps.observability import metrics

    module = types.SimpleNamespace(GAUGES=[
        ("shuyin_notification_failures", "通知发送失败条数", lambda: 4),
        ("shuyin_webhook_failures", "回调投递失败条数", lambda: [({"endpoint": "甲"}, 2), ({"endpoint": "乙"}, 0)]),
    ])
    monkeypatch.setattr("apps.common.discovery.app_modules",
                        lambda name: iter([(None, module)] if name == "metrics" else []))
    with override_settings(METRICS_CACHE_SECONDS=0):
        text = client.get("/metrics").content.decode()
    assert _value(text, "shuyin_notification_failures") == 4
    assert _value(text, "shuyin_webhook_failures", '{endpoint="甲"}') == 2
    # computed once per METRICS_CACHE_SECONDS, whoever scrapes
    calls = []
    module.GAUGES = [("shuyin_notification_failures", "通知发送失败条数", lambda: calls.append(1) or 1)]
    monkeypatch.setattr(metrics, "CACHE_KEY", "observability:gauges:test-" + os.urandom(4).hex())
    with override_settings(METRICS_CACHE_SECONDS=60):
        client.get("/metrics")
        client.get("/metrics")
    assert len(calls) == 1


def test_a_queued_task_carries_the_request_id():
    from celery.signals import before_task_publish

    from apps.common.tasks import heartbeat
    from apps.observability.requestid import TASK_HEADER, request_id_scope

    seen = []

    def spy(headers=None, **kwargs):
        seen.append(dict(headers))

    before_task_publish.connect(spy, weak=False)
    try:
        with override_settings(CELERY_BROKER_URL=settings.CELERY_BROKER_URL):
            with request_id_scope("req-123"):
                heartbeat.apply_async(args=["rid-test"], queue=f"rid-test-{os.getpid()}")
    finally:
        before_task_publish.disconnect(spy)
    assert seen and seen[-1][TASK_HEADER] == "req-123"


def test_logging_config_is_json_in_production():
    from apps.observability.logs import logging_config

    conf = logging_config(fmt="json", level="INFO")
    logging.config.dictConfig(conf)
    try:
        handler = logging.getLogger().handlers[0]
        record = logging.LogRecord("x", logging.INFO, __file__, 1, "已受理 %s", ("甲",), None)
        for f in handler.filters:
            f.filter(record)
        line = json.loads(handler.format(record))
        assert line["message"] == "已受理 甲" and line["request_id"] == "-" and "time" in line
    finally:
        logging.config.dictConfig(settings.LOGGING)
