"""Fault runs (issue 10): real Celery workers and beats that a test can SIGKILL, a private redis-server it
can restart, and a dispatch "world" whose deadlines the runs make due and then audit.

The Celery processes run on real time (``apps.common.clock`` only moves in this process), so a run makes
work due by moving the stored deadlines (timer, round, offers, choice window) one second into the past,
exactly as the existing integration tests do."""
import os
import random
import re
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from conftest import free_port, redis_server_binary, wait_for

ROOT = Path(__file__).resolve().parents[2]


class RedisServer:
    """A redis-server of this test alone, on a fixed free port, without persistence: a restart loses every
    queued message, which is the point."""

    def __init__(self, workdir: Path):
        self.port, self.dir, self.proc = free_port(), workdir, None
        self.url = f"redis://127.0.0.1:{self.port}/0"
        workdir.mkdir(parents=True, exist_ok=True)

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [redis_server_binary(), "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.dir),
             "--save", "", "--appendonly", "no", "--logfile", str(self.dir / "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True)

        def answers():
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as s:
                    s.sendall(b"PING\r\n")
                    return s.recv(16).startswith(b"+PONG")
            except OSError:
                return False

        assert wait_for(answers, timeout=20, interval=0.05), "redis-server did not start"

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def restart(self, down_for: float = 0.0) -> None:
        self.kill()
        time.sleep(down_for)
        self.start()


class Stack:
    """Celery workers and beats as subprocesses on this test's database, each in its own process group so
    that a SIGKILL takes the prefork children with the parent (a real crash of the whole worker)."""

    def __init__(self, env: dict, logs: Path):
        self.env, self.logs, self.procs, self.n = env, logs, [], 0

    def _spawn(self, args: list[str], name: str) -> subprocess.Popen:
        self.n += 1
        log = open(self.logs / f"{name}-{self.n}.log", "w")
        proc = subprocess.Popen([sys.executable, "-m", "celery", "-A", "shuyin", *args], cwd=ROOT, env=self.env,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.procs.append(proc)
        return proc

    def worker(self, *, concurrency: int = 1) -> subprocess.Popen:
        return self._spawn(["worker", "-l", "info", "--concurrency", str(concurrency), "--pool", "prefork",
                            "--without-mingle", "--without-gossip", "--hostname",
                            f"{self.env['CELERY_QUEUE']}-{self.n + 1}@%h"], "worker")

    def beat(self, *, locked: bool = True) -> subprocess.Popen:
        """``locked=False`` runs Celery's plain scheduler: no lock, every beat sends every entry."""
        args = ["beat", "-l", "info", "--schedule", str(self.logs / f"beat-schedule-{self.n + 1}")]
        if not locked:
            args += ["-S", "celery.beat:PersistentScheduler"]
        return self._spawn(args, "beat")

    def supervised_worker(self, **kw) -> "Supervised":
        return Supervised(lambda: self.worker(**kw))

    @staticmethod
    def kill(proc: subprocess.Popen, sig=signal.SIGKILL) -> None:
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)

    def log_text(self, prefix: str = "") -> str:
        return "".join(p.read_text(errors="replace") for p in sorted(self.logs.glob(f"{prefix}*.log")))

    def task_errors(self) -> Counter:
        """Tasks that raised, by "task: exception", from the worker logs."""
        found = Counter()
        for f in self.logs.glob("worker-*.log"):
            for m in re.finditer(r"Task ([\w.]+)\[[^\]]+\] raised unexpected: (\w+)", f.read_text(errors="replace")):
                found[f"{m[1]}: {m[2]}"] += 1
        return found

    def tail(self, n: int = 4000) -> str:
        return self.log_text()[-n:]

    def stop(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        for p in self.procs:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                self.kill(p)


class Supervised:
    """A process that is started again when it exits, as the deployment's supervisor does
    (docker-compose ``restart: unless-stopped``). Call ``check()`` often; ``restarts`` counts the exits."""

    def __init__(self, start):
        self.start, self.restarts = start, 0
        self.proc = start()

    def check(self) -> bool:
        if self.proc.poll() is not None:
            self.restarts += 1
            self.proc = self.start()
        return True


@pytest.fixture
def chaos_stack(transactional_db, tmp_path):
    """Like the root ``celery_stack`` fixture (same database and settings, a queue of its own), but the test
    owns the processes: start as many workers and beats as it likes and SIGKILL them."""
    from conftest import celery_env

    env = {**celery_env("chaos"), "SHUYIN_BEAT_SCALE": "0.01"}  # the minute sweep every 0.6 s
    stack = Stack(env, tmp_path)
    yield stack
    stack.stop()


@pytest.fixture
def private_redis(tmp_path):
    server = RedisServer(tmp_path / "redis")
    server.start()
    yield server
    server.kill()


def db_activity() -> dict:
    """Other backends of this database by state (the Celery worker's connections, the load threads')."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT state, count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND pid <> pg_backend_pid() GROUP BY state")
        return dict(cur.fetchall())


# ---- the dispatch world: running rounds and client choices whose deadlines a run makes due ----

class World:
    """Dispatches on nine partner institutions (three rounds of three). ``make_due`` moves deadlines into the
    past; ``audit`` proves that every due deadline was applied exactly once, whatever happened meanwhile."""

    ROUND_DONE, CHOICE_DONE = "补全时间已到", "客户逾期未选择"

    def __init__(self, *, partners, bulk_ready, admin, rng: random.Random):
        self._partners, self._bulk_ready, self.admin, self.rng = partners, bulk_ready, admin, rng
        self.expected: dict[int, str] = {}  # timer id → the outcome it must end with
        self.ready_ids: list[int] = []
        self.ps = []

    def setup(self, *, running: int, choosing: int = 0) -> None:
        """``running`` dispatches in their first round, ``choosing`` more where all three accepted (holds
        placed) and the client has not chosen yet."""
        from apps.common.params import param_set
        from apps.dispatch import services
        from apps.dispatch.models import Candidate

        # every offer here lapses, which the health check counts as abandonment: keep the partners in play
        param_set(key="dispatch.health.exclude", raw="false", user=self.admin, reason="chaos")
        self.ps = self._partners(9, margin="10000000", capacity=100000)
        users = {p.org.pk: p.user for p in self.ps}
        apps = self._bulk_ready(running + choosing)
        for app in apps:
            services.dispatch_start(application_id=app.pk)
        for app in apps[running:]:
            for cand in Candidate.objects.filter(application=app, status=Candidate.Status.OFFERED):
                services.offer_accept(actor=users[cand.institution_id], candidate_id=cand.pk)

    def add_ready(self, n: int, *, unserved: int = 0) -> None:
        """Applications left 待派发: the sweep's safety net must start each exactly once. ``unserved`` more
        in a region no partner serves: their dispatch fails at once and they go back to 贷审, who alone
        may dispatch them again (a second, concurrent sweep must not)."""
        from django.db import transaction

        from apps.applications.models import Application
        from apps.regions.models import Region

        with transaction.atomic():
            apps = self._bulk_ready(n + unserved)
            Application.objects.filter(pk__in=[a.pk for a in apps[n:]]).update(
                region=Region.objects.get(code="330106"))  # 杭州市西湖区
        self.ready_ids += [a.pk for a in apps]

    def make_due(self, *, rounds: int, choices: int = 0) -> int:
        """Make the deadlines of ``rounds`` open rounds and ``choices`` choice windows pass (1 s ago)."""
        from django.db import transaction
        from django.utils import timezone

        from apps.dispatch.models import Candidate, Dispatch, Round, Timer

        past = timezone.now() - timedelta(seconds=1)
        with transaction.atomic():
            picked = list(Timer.objects.filter(kind=Timer.Kind.ROUND, done_at__isnull=True, due_at__gt=past,
                                               round__closed_at__isnull=True)
                          .values_list("pk", "round_id").order_by("?")[:rounds])
            round_ids = [r for _, r in picked]
            Round.objects.filter(pk__in=round_ids).update(deadline=past)
            Candidate.objects.filter(round_id__in=round_ids, status=Candidate.Status.OFFERED).update(deadline=past)
            Timer.objects.filter(pk__in=[t for t, _ in picked]).update(due_at=past)
            self.expected.update({t: self.ROUND_DONE for t, _ in picked})
            chosen = list(Timer.objects.filter(kind=Timer.Kind.CHOICE, done_at__isnull=True, due_at__gt=past,
                                               dispatch__status=Dispatch.Status.CHOOSING)
                          .values_list("pk", "dispatch_id").order_by("?")[:choices])
            Dispatch.objects.filter(pk__in=[d for _, d in chosen]).update(choice_deadline=past)
            Timer.objects.filter(pk__in=[t for t, _ in chosen]).update(due_at=past)
            self.expected.update({t: self.CHOICE_DONE for t, _ in chosen})
        return len(picked) + len(chosen)

    @staticmethod
    def pending() -> int:
        """Due work not applied yet: due timers not done, applications still 待派发."""
        from django.utils import timezone

        from apps.applications.models import Application, Status
        from apps.dispatch.models import Timer

        return (Timer.objects.filter(done_at__isnull=True, due_at__lte=timezone.now()).count()
                + Application.objects.filter(status=Status.READY).count())

    def applied(self) -> int:
        from apps.dispatch.models import Timer

        return (Timer.objects.filter(pk__in=list(self.expected), done_at__isnull=False).count()
                + self.started())

    def started(self) -> int:
        from apps.dispatch.models import Dispatch

        return Dispatch.objects.filter(application_id__in=self.ready_ids).count()

    def audit(self) -> dict:
        """Every due deadline applied exactly once and every effect of it exactly once. Returns figures for
        the report; raises AssertionError listing every breach."""
        from django.db.models import Count, Max, Q, Sum
        from django.utils import timezone

        from apps.applications.models import Application, StatusChange, Status as AppStatus
        from apps.dispatch.models import Candidate, Dispatch, Event, Profile, Round, Timer
        from apps.messaging.models import Message
        from apps.positions.models import Hold
        from apps.positions.selectors import ledger_check

        C, D = Candidate.Status, Dispatch.Status
        bad: list[str] = []

        # 1. each due timer done, with the outcome of the first (only) firing; nothing due is left
        timers = {pk: (done, outcome, kind, d) for pk, done, outcome, kind, d in Timer.objects.filter(
            pk__in=list(self.expected)).values_list("pk", "done_at", "outcome", "kind", "dispatch_id")}
        for pk, want in self.expected.items():
            done, outcome, _, _ = timers[pk]
            if done is None or outcome != want:
                bad.append(f"timer {pk}: done_at={done} outcome={outcome!r}, expected {want!r}")
        left = Timer.objects.filter(done_at__isnull=True, due_at__lte=timezone.now()).count()
        if left:
            bad.append(f"{left} due timers never applied")
        fired = Counter(d for _, _, kind, d in timers.values() if kind == Timer.Kind.ROUND)
        lapsed_choice = {d for _, _, kind, d in timers.values() if kind == Timer.Kind.CHOICE}

        # 2. rounds: the refill timer closed each round once ("补全时间已到") and opened the next once. Offers are
        # not closed with their round: each keeps its own 24 hours (seed: 是否接单 24 小时内确认), so a running
        # dispatch may have no open round while its last offers wait.
        dispatches = {d["pk"]: d for d in Dispatch.objects.values(
            "pk", "status", "round_count", "application_id", "first_accepted_at")}
        rounds = {r["dispatch_id"]: r for r in Round.objects.values("dispatch_id").annotate(
            n=Count("pk"), open=Count("pk", filter=Q(closed_at__isnull=True)),
            refilled=Count("pk", filter=Q(close_reason="补全时间已到")))}
        tops = dict(Round.objects.values("dispatch_id").annotate(m=Max("number")).values_list("dispatch_id", "m"))
        events = {}
        for d_id, text in Event.objects.values_list("dispatch_id", "text"):
            e = events.setdefault(d_id, Counter())
            e["lapse"] += "超时未处理" in text
            e["end"] += text.startswith("派发结束")
            e["choice"] += text.startswith("客户逾期未选择")
        for d_id, d in dispatches.items():
            r = rounds.get(d_id, {"n": 0, "open": 0, "refilled": 0})
            e = events.get(d_id, Counter())
            if r["n"] != d["round_count"] or tops.get(d_id, 0) != r["n"]:
                bad.append(f"dispatch {d_id}: {r['n']} rounds, round_count {d['round_count']}")
            if r["open"] > (1 if d["status"] == D.RUNNING else 0):
                bad.append(f"dispatch {d_id} ({d['status']}): {r['open']} open rounds")
            if r["refilled"] != fired[d_id]:
                bad.append(f"dispatch {d_id}: {fired[d_id]} round timers fired, {r['refilled']} rounds closed by them")
            if e["end"] != (0 if d["status"] == D.RUNNING else 1):  # the offering phase ends once, however
                bad.append(f"dispatch {d_id} ({d['status']}): {e['end']} end events")
            if (d_id in lapsed_choice) != (d["status"] == D.LAPSED) or e["choice"] != (d["status"] == D.LAPSED):
                bad.append(f"dispatch {d_id} ({d['status']}): choice lapse events {e['choice']}")

        # 3. offers: each lapsed offer lapsed once (its own timer) and was counted once; counters and messages
        # once per offer
        n_lapsed = Candidate.objects.filter(status=C.LAPSED).count()
        n_lapse_named = sum(e["lapse"] for e in events.values())
        n_cand = Candidate.objects.count()
        stats = Profile.objects.aggregate(lapsed=Sum("lapsed_count"), dispatched=Sum("dispatched_count"))
        if not n_lapsed == stats["lapsed"] or n_lapse_named > n_lapsed:
            bad.append(f"lapsed offers {n_lapsed}, lapse events {n_lapse_named}, "
                       f"profiles' lapsed_count {stats['lapsed']}")
        n_counted = n_cand - Candidate.objects.filter(status=C.CANCELLED).count()  # withdrawn: not counted
        if stats["dispatched"] != n_counted:
            bad.append(f"{n_counted} offers counted, profiles' dispatched_count {stats['dispatched']}")
        offer_msgs = Message.objects.filter(title__startswith="新的派单待受理").count()
        if offer_msgs != n_cand:
            bad.append(f"{n_cand} offers, {offer_msgs} offer messages")

        # 4. applications: one dispatch each, started once, failed back to review at most once
        multi = list(Dispatch.objects.values("application_id").annotate(n=Count("pk")).filter(n__gt=1))
        if multi:
            bad.append(f"applications dispatched more than once: {multi[:5]}")
        not_started = Application.objects.filter(pk__in=self.ready_ids).exclude(dispatches__isnull=False).count()
        if not_started:
            bad.append(f"{not_started} 待派发 applications never started")
        want_status = {D.RUNNING: AppStatus.DISPATCHING, D.CHOOSING: AppStatus.AWAITING_CHOICE,
                       D.FAILED: AppStatus.REDISPATCH, D.LAPSED: AppStatus.REDISPATCH}
        statuses = dict(Application.objects.values_list("pk", "status"))
        changes = Counter(StatusChange.objects.filter(to_status=AppStatus.REDISPATCH).values_list(
            "application_id", flat=True))
        for d in dispatches.values():
            a = d["application_id"]
            # a running dispatch with an acceptance waits for the client's choice (满足条件一家以上则进入下一流程)
            want = (AppStatus.AWAITING_CHOICE if d["status"] == D.RUNNING and d["first_accepted_at"]
                    else want_status[d["status"]])
            if statuses[a] != want:
                bad.append(f"application {a}: {statuses[a]} while its dispatch is {d['status']}")
            if changes[a] != (1 if d["status"] in (D.FAILED, D.LAPSED) else 0):
                bad.append(f"application {a}: {changes[a]} moves back to review")

        # 5. holds: a lapsed choice released every hold once; capacity counters match the holds left
        released_c = Candidate.objects.filter(status=C.RELEASED).count()
        released_h = Hold.objects.filter(status=Hold.Status.RELEASED).count()
        accepted = Candidate.objects.filter(status=C.ACCEPTED).count()
        active = Hold.objects.filter(status=Hold.Status.ACTIVE).count()
        if released_c != released_h or accepted != active:
            bad.append(f"released candidates {released_c} / holds {released_h}; accepted {accepted} / "
                       f"active holds {active}")
        per_inst = Counter(Hold.objects.filter(status=Hold.Status.ACTIVE).values_list("institution_id", flat=True))
        for pid, inst, cases in Profile.objects.values_list("pk", "institution_id", "active_cases"):
            if cases != per_inst[inst]:
                bad.append(f"profile {pid}: active_cases {cases}, active holds {per_inst[inst]}")
        bad += ledger_check(deep=True)

        assert not bad, "\n".join(bad[:40])
        return {"timers": len(self.expected), "rounds_lapsed": sum(fired.values()),
                "choices_lapsed": len(lapsed_choice), "started": len(self.ready_ids), "offers_lapsed": n_lapsed,
                "holds_released": released_h}


@pytest.fixture
def world(cast, partners, bulk_ready):
    return World(partners=partners, bulk_ready=bulk_ready, admin=cast.admin, rng=random.Random(20261129))
