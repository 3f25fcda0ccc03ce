"""``/healthz`` and ``/readyz`` for load balancers and orchestrators (JSON, no sign-in, no session).

* ``/healthz``: the process answers (no database, no Redis): restart the process when this fails.
* ``/readyz``: what this process needs to serve — PostgreSQL, Redis (cache, sessions, locks) and the Celery
  broker — plus what the timers need — the beat heartbeat's age (``common.heartbeat`` every minute, its row
  in ``common_heartbeat``), the beat lock in Redis, and the lag of the oldest due dispatch timer (offers, rounds,
  client-choice windows). Each check has its own entry in the body; the answer is 503 when a check named in
  ``READYZ_CRITICAL`` (default: database, redis, broker) fails, else 200 with ``"status": "degraded"`` when a
  timer check fails. A dead beat is not a reason to take every web host out of the load balancer: alert on it
  (docs/scaling.md) instead.

Every check is bounded by ``READYZ_TIMEOUT`` seconds (statement timeout, socket timeouts)."""
import json
import time

from django.conf import settings
from django.http import HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt


def _timed(fn) -> dict:
    started = time.monotonic()
    try:
        result = fn()
    except Exception as exc:  # a probe reports every failure as data, never as a 500
        result = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
    result["ms"] = round((time.monotonic() - started) * 1000, 1)
    return result


def _timeout() -> float:
    return float(getattr(settings, "READYZ_TIMEOUT", 2.0))


def check_database() -> dict:
    from django.db import connection, transaction

    with transaction.atomic():
        with connection.cursor() as cur:
            cur.execute("SET LOCAL statement_timeout = %s", [int(_timeout() * 1000)])
            cur.execute("SELECT 1")
            cur.fetchone()
    return {"ok": True}


def check_redis() -> dict:
    from shuyin.redis_ha import redis_client

    client = redis_client(socket_timeout=_timeout())
    try:
        client.ping()
    finally:
        client.close()
    return {"ok": True}


def check_broker() -> dict:
    """A real connection to the broker Celery publishes to (Redis by default, Sentinel-aware through Celery)."""
    from shuyin.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0.1, interval_max=0.1,
                               timeout=_timeout())
        conn.default_channel  # noqa: B018  (opens the channel: the Redis transport pings here)
    return {"ok": True}


def beat_state() -> dict:
    """The heartbeat's age (``None`` when it never ran) and the beat lock's: seconds since the holder last renewed
    it (``None`` when no beat holds it)."""
    from django.utils import timezone

    from apps.common.models import Heartbeat
    from shuyin.redis_ha import redis_client

    last = Heartbeat.objects.filter(name="beat").values_list("last_seen_at", flat=True).first()
    age = (timezone.now() - last).total_seconds() if last else None
    lock_age = None
    client = redis_client(socket_timeout=_timeout())
    try:
        pttl = client.pttl(settings.BEAT_LOCK_KEY)
    finally:
        client.close()
    if pttl is not None and pttl >= 0:
        lock_age = max(0.0, float(settings.BEAT_LOCK_TTL) - pttl / 1000)
    return {"heartbeat_age_s": None if age is None else round(age, 1),
            "lock_age_s": None if lock_age is None else round(lock_age, 1)}


def check_beat() -> dict:
    state = beat_state()
    limit = float(getattr(settings, "READYZ_BEAT_MAX_AGE", 300))
    age = state["heartbeat_age_s"]
    return {"ok": age is not None and age <= limit, "max_age_s": limit, **state}


def timer_lag() -> float:
    """Seconds the oldest due, unapplied dispatch timer is late (0 when none is due). Walks the partial index
    ``timer_due`` to its first row."""
    from apps.common import clock
    from apps.dispatch.models import Timer

    now = clock.now()
    oldest = (Timer.objects.filter(done_at__isnull=True, due_at__lte=now).order_by("due_at")
              .values_list("due_at", flat=True).first())
    return max(0.0, (now - oldest).total_seconds()) if oldest else 0.0


def check_timers() -> dict:
    lag = timer_lag()
    limit = float(getattr(settings, "READYZ_TIMER_MAX_LAG", 300))
    return {"ok": lag <= limit, "oldest_due_lag_s": round(lag, 1), "max_lag_s": limit}


CHECKS = {"database": check_database, "redis": check_redis, "broker": check_broker, "beat": check_beat,
          "timers": check_timers}


def _json(body: dict, status: int) -> HttpResponse:
    resp = HttpResponse(json.dumps(body, ensure_ascii=False), status=status, content_type="application/json")
    resp["Cache-Control"] = "no-store"
    return resp


@csrf_exempt
@never_cache
def healthz(request):
    return _json({"status": "ok"}, 200)


@csrf_exempt
@never_cache
def readyz(request):
    checks = {name: _timed(fn) for name, fn in CHECKS.items()}
    critical = set(getattr(settings, "READYZ_CRITICAL", ("database", "redis", "broker")))
    failed = sorted(name for name, result in checks.items() if not result["ok"])
    if any(name in critical for name in failed):
        status, code = "unavailable", 503
    else:
        status, code = ("degraded" if failed else "ok"), 200
    return _json({"status": status, "failed": failed, "checks": checks}, code)
