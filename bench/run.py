#!/usr/bin/env python
"""`make bench` — the benchmark contract of shared/spec/bench.md (ledger part; later issues add theirs).

Builds its own database (`<name>_bench` next to DATABASE_URL's), generates data with COPY, measures,
prints a table and writes bench/results/latest.json. BENCH_SCALE=full (default: 10,000 institutions,
5,000,000 journal lines) or small (one hundredth). BENCH_SECONDS sets each throughput run's length."""
import io
import json
import multiprocessing as mp
import os
import sys
import time
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
SCALE = os.environ.get("BENCH_SCALE", "full")
FACTOR = 1 if SCALE == "full" else 0.01
INSTITUTIONS = int(10_000 * FACTOR)
LINES = int(os.environ.get("BENCH_LINES", 5_000_000 * FACTOR))  # BENCH_LINES: a quicker look at one part
SECONDS = float(os.environ.get("BENCH_SECONDS", "8"))
ONLY = set(filter(None, os.environ.get("BENCH_ONLY", "").split(",")))  # e.g. BENCH_ONLY=dispatch


def wanted(section: str) -> bool:
    return not ONLY or section in ONLY


def bench_db_url() -> str:
    url = urlparse(os.environ["DATABASE_URL"])
    name = url.path.lstrip("/") + "_bench"
    return urlunparse(url._replace(path="/" + name))


def setup_django():
    os.environ["DATABASE_URL"] = bench_db_url()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shuyin.settings.test")
    import django

    django.setup()


def create_database():
    import psycopg2

    url = urlparse(bench_db_url())
    name = url.path.lstrip("/")
    conn = psycopg2.connect(dbname="postgres", user=url.username or "postgres", host=url.hostname,
                            port=url.port or 5432, password=url.password)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()


def generate():
    """10,000 institutions with accounts, and balanced recharge entries (2 lines each) by COPY."""
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from apps.accounts.models import Organization
    from apps.positions.models import Account

    t0 = time.monotonic()
    Organization.objects.bulk_create(
        [Organization(code=f"b{i}", name=f"基准机构{i}", kind="institution", path="", depth=0)
         for i in range(INSTITUTIONS)], batch_size=5000)
    with connection.cursor() as cur:
        cur.execute("UPDATE accounts_organization SET path = '/' || id || '/' WHERE code LIKE 'b%%'")
    orgs = list(Organization.objects.filter(code__startswith="b").values_list("id", flat=True))
    Account.objects.bulk_create([Account(owner_id=o, kind=k) for o in orgs for k in ("cash", "margin", "risk")],
                                batch_size=5000)
    clearing = Account.objects.create(owner=None, kind="clearing", allow_negative=True)
    cash_ids = dict(Account.objects.filter(kind="cash", owner__isnull=False).values_list("owner_id", "id"))
    entries = LINES // 2
    per_cash = {}
    entry_buf, line_buf = io.StringIO(), io.StringIO()
    with connection.cursor() as cur:
        cur.execute("SELECT nextval(pg_get_serial_sequence('positions_journalentry', 'id'))")
        first = cur.fetchone()[0]
    clearing_running = Decimal(0)
    for n in range(entries):
        eid = first + n
        org = orgs[n % len(orgs)]
        amount = Decimal(100 + n % 900)
        cash = cash_ids[org]
        per_cash[cash] = per_cash.get(cash, Decimal(0)) + amount
        clearing_running -= amount
        entry_buf.write(f"{eid}\trecharge\t基准充值\trecharge\tB{eid}\t\\N\t\\N\t2026-11-01 00:00:00+00\n")
        line_buf.write(f"{eid}\t{clearing.pk}\t{-amount}\t{clearing_running}\t2026-11-01 00:00:00+00\n")
        line_buf.write(f"{eid}\t{cash}\t{amount}\t{per_cash[cash]}\t2026-11-01 00:00:00+00\n")
    entry_buf.seek(0)
    line_buf.seek(0)
    with connection.cursor() as cur:
        cur.copy_from(entry_buf, "positions_journalentry", columns=(
            "id", "kind", "memo", "ref_type", "ref_id", "idempotency_key", "created_by_id", "created_at"))
        cur.execute("SELECT setval(pg_get_serial_sequence('positions_journalentry', 'id'), %s)", [first + entries])
        cur.copy_from(line_buf, "positions_journalline", columns=(
            "entry_id", "account_id", "amount", "balance_after", "created_at"))
        cur.execute("""UPDATE positions_account a SET balance = s.total FROM
                       (SELECT account_id, SUM(amount) total FROM positions_journalline GROUP BY account_id) s
                       WHERE s.account_id = a.id""")
        # each recharge entry has its credited recharge order (ledger_check proves every recharge credited once)
        from apps.accounts.models import User

        clerk = User.objects.create(username="bench_ledger", real_name="基准出纳", is_active=False)
        cur.execute("""INSERT INTO positions_recharge (institution_id, method, amount, status, order_no, bank_reference,
                           voucher, provider, checkout_url, entry_id, reason, created_by_id, created_at, credited_at)
                       SELECT a.owner_id, 'offline', l.amount, 'credited', 'BR' || e.id, '', '', '', '', e.id, '',
                              %s, e.created_at, e.created_at
                       FROM positions_journalentry e
                       JOIN positions_journalline l ON l.entry_id = e.id AND l.amount > 0
                       JOIN positions_account a ON a.id = l.account_id
                       WHERE e.kind = 'recharge'""", [clerk.pk])
        cur.execute("ANALYZE")
    return time.monotonic() - t0


def _worker(kind: str, worker: int, workers: int, seconds: float, out, barrier):
    import django
    from django.db import connection

    django.setup()
    from apps.accounts.models import Organization
    from apps.positions import services

    orgs = list(Organization.objects.filter(code__startswith="b").order_by("id").values_list("id", flat=True))
    mine = [Organization.objects.get(pk=o) for o in orgs[worker::workers][:50]]
    done, n = 0, 0
    barrier.wait()  # every worker is set up: the measured windows overlap exactly
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        org = mine[n % len(mine)]
        n += 1
        if kind == "hold":
            h = services.hold_place(institution=org, ref_type="bench", ref_id=f"{worker}-{n}", amount="10")
            services.hold_release(hold_id=h.pk)
        else:
            services.transfer(institution=org, source="cash", target="margin", amount="1")
        done += 1
    connection.close()
    out.put(done)


def throughput(kind: str, workers: int) -> float:
    from django.db import connections

    connections.close_all()
    ctx = mp.get_context("fork")
    out = ctx.Queue()
    barrier = ctx.Barrier(workers)
    procs = [ctx.Process(target=_worker, args=(kind, i, workers, SECONDS, out, barrier)) for i in range(workers)]
    for p in procs:
        p.start()
    total = sum(out.get() for _ in procs)
    for p in procs:
        p.join()
    return total / SECONDS


def fund_margins():
    from django.db import connection

    from apps.accounts.models import Organization
    from apps.positions import services

    for org in Organization.objects.filter(code__startswith="b").order_by("id")[:2000]:
        services.transfer(institution=org, source="cash", target="margin", amount="50")
    connection.close()


def fund_all_margins(rng):
    """Move a random part of every institution's cash into its margin (0 – 20,000 元), through the ledger."""
    from django.db import connection

    from apps.accounts.models import Organization
    from apps.positions import services
    from apps.positions.models import Account

    cash = dict(Account.objects.filter(kind="cash", owner__code__startswith="b").values_list("owner_id", "balance"))
    for org in Organization.objects.filter(code__startswith="b", kind="institution").order_by("id"):
        amount = min(Decimal(rng.randint(0, 20000)), cash.get(org.pk, Decimal(0)))
        if amount > 0:
            services.transfer(institution=org, source="cash", target="margin", amount=amount)
    connection.close()


def bench_ledger(metrics):
    from apps.positions.selectors import ledger_check

    t0 = time.monotonic()
    breaches = ledger_check()
    check_s = time.monotonic() - t0
    assert not breaches, breaches
    metrics.append({"name": "ledger.check.s_per_1m_lines", "value": round(check_s / (LINES / 1_000_000), 3),
                    "unit": "s (lower is better)"})
    fund_margins()
    for w in (1, 8, 32):
        rate = throughput("hold", w)
        metrics.append({"name": f"ledger.hold.per_s.w{w}", "value": round(rate, 1), "unit": "holds/s (higher is better)"})
        print(f"[bench] holds w{w}: {rate:.1f}/s", flush=True)
    rate = throughput("transfer", 8)
    metrics.append({"name": "ledger.transfer.per_s.w8", "value": round(rate, 1), "unit": "transfers/s (higher is better)"})


def bench_dispatch(metrics):
    import random

    import dispatch_bench

    rng = random.Random(2026)
    gen = dispatch_bench.generate_profiles(rng, lambda: fund_all_margins(rng))
    print(f"[bench] dispatch profiles generated in {gen['seconds']:.1f}s", flush=True)
    sel = dispatch_bench.measure_select(gen["products"], rng)
    (ROOT / "bench" / "results" / "dispatch_select_explain.txt").write_text(sel["explain"])
    print(f"[bench] selection p50 {sel['p50']:.3f} ms, p99 {sel['p99']:.3f} ms, {sel['found']:.2f} found per call",
          flush=True)
    print(f"[bench] selection floor (one profile by pk through the ORM) {sel['floor']:.3f} ms", flush=True)
    metrics.append({"name": "dispatch.select.floor_ms", "value": round(sel["floor"], 3), "unit": "ms (baseline)"})
    for q in ("p50", "p99"):  # ratio: times the floor (target ≤ 3 × at p50, ≤ 6 × at p99; lower is better)
        metrics.append({"name": f"dispatch.select.{q}_ms", "value": round(sel[q], 3), "unit": "ms (lower is better)",
                        "baseline": "dispatch.select.floor_ms", "ratio": round(sel[q] / sel["floor"], 2)})
    sweep = dispatch_bench.measure_sweep(gen["products"], rng, due=int(os.environ.get("BENCH_DUE", 10_000 * FACTOR)))
    print(f"[bench] sweep: {sweep['done']} of {sweep['pending']} due deadlines in {sweep['seconds']:.1f}s "
          f"(set-up {sweep['setup_s']:.1f}s)", flush=True)
    metric = {"name": "dispatch.sweep.rows_per_s", "value": round(sweep["rows_per_s"], 1),
              "unit": "deadlines/s (higher is better)"}
    hold = next((m["value"] for m in metrics if m["name"] == "ledger.hold.per_s.w1"), None)
    if hold:  # target ≥ 0.5 × one hold placed and released (the floor of a short money transaction)
        metric.update(baseline="ledger.hold.per_s.w1", ratio=round(sweep["rows_per_s"] / hold, 3))
    metrics.append(metric)


def bench_exports(metrics):
    """Excel of 100,000 rows and PDF of 5,000 and 50,000 rows through the real Celery export task (see export_bench).
    At BENCH_SCALE=small there are 5,000 rows: each export takes as many as there are."""
    import export_bench

    cm = export_bench._rows(100_000 if SCALE == "full" else 5_000)
    for fmt, rows, name in (("xlsx", 100_000, "export.xlsx.100k"), ("pdf", 5_000, "export.pdf.5k"),
                            ("pdf", 50_000, "export.pdf.50k")):
        from apps.applications.models import Application

        ids = list(Application.objects.filter(order_no__startswith="EX").order_by("pk").values_list("pk", flat=True))
        last = ids[min(rows, len(ids)) - 1]
        # the export's own filter: this CM's applications submitted that day, limited to the first ``rows``
        Application.objects.filter(order_no__startswith="EX", pk__gt=last).update(submitted_at="2026-11-21T10:00:00+08:00")
        out = export_bench.measure(cm, fmt, {"date_from": "2026-11-20", "date_to": "2026-11-20"})
        Application.objects.filter(order_no__startswith="EX").update(submitted_at="2026-11-20T10:00:00+08:00")
        assert out["result"] == "done", out
        print(f"[bench] {name}: {out['rows']} rows in {out['seconds']:.1f}s, peak {out['peak_mb']:.0f} MB, "
              f"{out['size'] / 1e6:.1f} MB file", flush=True)
        metric = {"name": f"{name}.s", "value": round(out["seconds"], 2), "unit": "s (lower is better)"}
        if name == "export.pdf.50k":  # target ≤ 3 × the Excel export of 100,000 rows
            xlsx = next(m["value"] for m in metrics if m["name"] == "export.xlsx.100k.s")
            metric.update(baseline="export.xlsx.100k.s", ratio=round(out["seconds"] / xlsx, 2))
        metrics.append(metric)
        metrics.append({"name": f"{name}.peak_mb", "value": round(out["peak_mb"], 1),
                        "unit": "MB peak RSS of the export process (lower is better)"})


def bench_http(metrics):
    """Pages through a real gunicorn against baselines of the same run (see http_bench)."""
    import dispatch_bench
    import http_bench

    from apps.accounts.models import User
    from apps.applications.models import Application

    dispatch_bench._setup_people()
    gen = http_bench.generate(int(1_000_000 * FACTOR))
    print(f"[bench] {Application.objects.count():,} applications in the database ({gen['seconds']:.0f}s)", flush=True)
    reviewing = Application.objects.filter(status="lr_review", order_no__startswith="HB").order_by("pk")
    detail = reviewing.first()
    # first views: applications nobody opened yet, a share for each load client (none is served from the cache)
    cold = [f"/ops/applications/{pk}/" for pk in reviewing.values_list("pk", flat=True)[1:40_001]]
    root = User.objects.get(username="bench_root")
    pages = [  # name, path, area to sign in to (None: anonymous), user
        ("http.bare.const", "/bench/const/", None, None),
        ("http.bare.onequery", "/bench/onequery/", None, None),
        ("http.api.offers", "/api/v1/offers", "api", gen["inst_user"]),  # an institution's system (API key)
        ("http.bare.list", "/bench/list/?page=1", None, None),
        ("http.admin.changelist", "/django-admin/applications/application/", "django-admin", root),
        ("http.inst.dashboard", "/inst/", "inst", gen["inst_user"]),
        ("http.ops.queue.p1", "/ops/queues/lr/?page=1&size=50", "ops", gen["lr"]),  # 贷审 queue (30 % of all)
        ("http.ops.queue.p100", "/ops/queues/lr/?page=100&size=50", "ops", gen["lr"]),
        ("http.ops.queue.cs.p1", "/ops/queues/cs/?page=1&size=50", "ops", gen["cs"]),  # 客服 queue (10 %)
        ("http.ops.queue.cs.p100", "/ops/queues/cs/?page=100&size=50", "ops", gen["cs"]),
        ("http.ops.queue.mine.p1", "/ops/queues/mine/?page=1&size=50", "ops", gen["cm"]),  # one CM's (2 %)
        ("http.ops.queue.mine.p100", "/ops/queues/mine/?page=100&size=50", "ops", gen["cm"]),
        ("http.app.detail", f"/ops/applications/{detail.pk}/", "ops", gen["lr"]),  # repeated: the page cache
        ("http.app.detail.first", cold, "ops", gen["lr"]),  # each application's first view: drawn
        ("http.ops.shell", "/ops/bench/shell/", "ops", gen["lr"]),  # the layout alone (not a contract metric)
    ]
    counts = {name: http_bench.queries(path, user, area) if isinstance(path, str)
              else http_bench.queries(path[1], user, area, warm=path[0])  # another application's first view
              # (both among the load's warm-up pages)
              for name, path, area, user in pages if area not in (None, "django-admin", "api")}
    api_auth = http_bench.api_offers(gen["inst_user"])
    counts["http.api.offers"] = http_bench.api_queries("/api/v1/offers", api_auth)
    from django.db import connections

    connections.close_all()
    proc, port = http_bench.start_server(dict(os.environ))
    try:
        cookies = {}
        for name, path, area, user in pages:
            if area == "api":
                cookies[(area, user.username)] = api_auth
            if area and (area, user.username) not in cookies:
                cookies[(area, user.username)] = (http_bench.admin_session(user) if area == "django-admin"
                                                  else http_bench.login(port, area, user.username))
            out = http_bench.load(port, path, cookies.get((area, user.username)) if area else "", seconds=SECONDS)
            print(f"[bench] {name}: {out['rps']:.0f} rps, p50 {out['p50_ms']:.1f} ms, p99 {out['p99_ms']:.1f} ms"
                  + (f", {counts[name]} queries" if name in counts else ""), flush=True)
            metrics.append({"name": f"{name}.rps", "value": round(out["rps"], 1), "unit": "rps (higher is better)"})
            for q in ("p50_ms", "p99_ms"):
                metrics.append({"name": f"{name}.{q}", "value": round(out[q], 1), "unit": "ms (lower is better)"})
            if name in counts:
                metrics.append({"name": f"{name}.queries", "value": counts[name], "unit": "queries per request"})
    finally:
        http_bench.stop_server(proc)
    by = {m["name"]: m for m in metrics}
    ratios = [("http.inst.dashboard.rps", "http.bare.list.rps"), ("http.app.detail.rps", "http.bare.onequery.rps"),
              ("http.app.detail.first.rps", "http.bare.onequery.rps"), ("http.api.offers.rps", "http.bare.onequery.rps"),
              ("http.ops.shell.rps", "http.bare.onequery.rps")]
    for queue in ("http.ops.queue", "http.ops.queue.cs", "http.ops.queue.mine"):
        ratios += [(f"{queue}.p1.rps", "http.bare.list.rps"), (f"{queue}.p100.rps", f"{queue}.p1.rps")]
    for name, base in ratios:
        by[name]["baseline"], by[name]["ratio"] = base, round(by[name]["value"] / by[base]["value"], 3)
    for name in ("http.inst.dashboard.rps", "http.ops.queue.p1.rps", "http.ops.queue.cs.p1.rps",
                 "http.ops.queue.mine.p1.rps"):
        by[name]["vs_admin_changelist"] = round(by[name]["value"] / by["http.admin.changelist.rps"]["value"], 2)


def main():
    create_database()
    setup_django()
    from django.db import connection

    from apps.positions.selectors import ledger_check

    metrics = []
    gen_s = generate()
    print(f"[bench] scale={SCALE}: {INSTITUTIONS} institutions, {LINES} journal lines generated in {gen_s:.1f}s",
          flush=True)
    if wanted("ledger"):
        bench_ledger(metrics)
    if wanted("dispatch"):
        bench_dispatch(metrics)
    if wanted("exports"):
        bench_exports(metrics)
    if wanted("http"):
        bench_http(metrics)
    breaches = ledger_check()
    metrics.append({"name": "ledger.check.breaches_after_load", "value": len(breaches), "unit": "count (0 required)"})
    connection.close()
    result = {"scale": SCALE, "started_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
              "metrics": metrics}
    out = Path(os.environ.get("BENCH_OUT") or ROOT / "bench" / "results" / "latest.json")  # BENCH_OUT: parts run apart
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2))
    print(f"\n{'metric':40} {'value':>12}  unit")
    for m in metrics:
        print(f"{m['name']:40} {m['value']:>12}  {m['unit']}")
    print(f"\nwritten to {out}")
    return 1 if breaches else 0


if __name__ == "__main__":
    sys.exit(main())
