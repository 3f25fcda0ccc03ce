"""Dispatch part of `make bench`: candidate selection among the generated institutions and the timer sweep.

- ``dispatch.select.p50_ms`` / ``.p99_ms``: ``selectors.candidates_select`` (the query the rounds use, SQL
  written once, run through Django's connection) for real applications at random cluster levels;
  ``dispatch.select.floor_ms`` the median ``Profile.objects.get(pk=...)`` in the same process (the baseline).
- ``dispatch.sweep.rows_per_s``: 10,000 (full scale) rounds' refill points (8 h) made due at once, applied by
  ``services.timers_sweep`` in one process: each closes the round and opens the next one for the places not
  accepted (a fresh selection, statistics, messages) — the whole work of a real deadline. (Since issue 16 the
  offers keep their own 24 hours, so nothing lapses at 8 h; their OFFER timers are not due yet.)

The EXPLAIN of one selection is written to bench/results/dispatch_select_explain.txt (and quoted in
docs/performance.md)."""
import os
import random
import statistics
import time
from datetime import timedelta
from decimal import Decimal

from django.db import connection

PRODUCTS = 4


def _setup_people():
    from apps.accounts.models import Organization
    from apps.accounts.services import organization_create, platform_role, user_create

    org = Organization.objects.filter(code="bench-shuyin").first() or organization_create(
        code="bench-shuyin", name="数银基准", kind=Organization.Kind.PLATFORM)
    from apps.accounts.models import User

    cm = User.objects.filter(username="bench_cm").first() or user_create(
        username="bench_cm", password=None, real_name="基准客户经理", organization=org, roles=[platform_role("cm")])
    return org, cm


def generate_profiles(rng: random.Random, fund) -> dict:
    """A dispatch profile for every generated institution: random statistics, 1–3 products, 1–3 service areas
    (provinces, cities or districts), 95% active, margin positions funded through the ledger by ``fund``."""
    from apps.dispatch.models import Profile, ProfileProduct, ServiceArea, coverage_keys
    from apps.dispatch.scoring import health_refresh, profiles_rescore
    from apps.positions.models import Account
    from apps.products.models import Product
    from apps.regions.models import Region

    t0 = time.monotonic()
    products = [Product.objects.get_or_create(code=f"bench-{i}", defaults={
        "name": f"基准产品{i}", "category": "credit", "hold_amount": Decimal("1000.00")})[0] for i in range(PRODUCTS)]
    fund()
    margins = dict(Account.objects.filter(kind="margin", owner__code__startswith="b", owner__kind="institution")
                   .values_list("owner_id", "id"))
    regions = list(Region.objects.values_list("pk", "level", "province_code", "city_code", "code"))
    provinces = [r for r in regions if r[1] == 1]
    cities = [r for r in regions if r[1] == 2]
    districts = [r for r in regions if r[1] == 3]
    types = ["individual", "enterprise_owner", "self_employed", "salaried"]
    profiles, chosen = [], []
    for owner, account in margins.items():
        accepted = rng.randint(0, 200)
        prods = rng.sample(products, rng.randint(1, 3))
        pool = rng.choice([provinces, cities, districts, districts])
        areas = rng.sample(pool, rng.randint(1, 3))
        chosen.append((prods, areas))
        profiles.append(Profile(
            institution_id=owner, margin_account_id=account, is_active=rng.random() < 0.95,
            capacity=rng.randint(5, 60), active_cases=rng.randint(0, 40),
            client_types=rng.sample(types, rng.randint(1, 4)),
            product_ids=sorted(p.pk for p in prods), coverage=coverage_keys((r[4], r[3], r[2]) for r in areas),
            dispatched_count=accepted * 2, accepted_count=accepted, declined_count=rng.randint(0, accepted),
            lapsed_count=rng.randint(0, 20), success_count=rng.randint(0, accepted),
            rating_sum=rng.randint(0, 5 * accepted), rating_count=accepted,
            answer_median_s=rng.randint(60, 40000)))
    Profile.objects.bulk_create(profiles, batch_size=5000)
    links, rows = [], []
    for profile, (prods, areas) in zip(profiles, chosen):
        links += [ProfileProduct(profile_id=profile.pk, product=prod) for prod in prods]
        rows += [ServiceArea(profile_id=profile.pk, region_id=r[0], level=r[1], province_code=r[2], city_code=r[3])
                 for r in areas]
    ProfileProduct.objects.bulk_create(links, batch_size=5000)
    ServiceArea.objects.bulk_create(rows, batch_size=5000)
    profiles_rescore()
    health_refresh()
    with connection.cursor() as cur:  # as autovacuum would have by now: no dead row versions to scan past
        cur.execute("VACUUM ANALYZE")
    return {"products": products, "seconds": time.monotonic() - t0}


def _applications(n: int, products, rng: random.Random):
    from datetime import date

    from apps.applications.models import Application
    from apps.members.models import Member
    from apps.regions.models import Region

    org, cm = _setup_people()
    districts = list(Region.objects.filter(level=3).values_list("pk", flat=True))
    start = Member.objects.count()
    members = Member.objects.bulk_create([
        Member(real_name=f"基准客户{start + i}", id_number=f"BENCH{start + i:013d}", mobile="13900000000",
               address="-", client_type="individual", birth_date=date(1990, 1, 1), id_photo_front="-",
               id_photo_back="-", status="verified", registered_by=cm, organization=org) for i in range(n)],
        batch_size=5000)
    return Application.objects.bulk_create([
        Application(order_no=f"BN{start + i:012d}", member=m, product=rng.choice(products), amount="80000",
                    term_months=12, region_id=rng.choice(districts), purpose="基准",
                    client_type=rng.choice(["individual", "enterprise_owner", "self_employed", "salaried"]),
                    status="ready", cm=cm, organization=org) for i, m in enumerate(members)], batch_size=5000)


def measure_select(products, rng: random.Random, *, samples: int = 3000) -> dict:
    from apps.applications.models import Application
    from apps.dispatch.selectors import candidates_select

    apps = _applications(300, products, rng)
    apps = list(Application.objects.select_related("product", "region").filter(pk__in=[a.pk for a in apps]))
    levels = ["district", "city", "province", "national"]
    for a in apps[:50]:  # warm-up
        candidates_select(application=a, level="city", n=3)
    times, found = [], 0
    for i in range(samples):
        app, level = apps[i % len(apps)], levels[i % 4]
        t = time.perf_counter()
        found += len(candidates_select(application=app, level=level, n=3))
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    explain = explain_select(apps[0])
    return {"p50": statistics.median(times), "p99": times[int(len(times) * 0.99)], "found": found / samples,
            "explain": explain, "floor": measure_floor(rng, samples=samples)}


def measure_floor(rng: random.Random, *, samples: int) -> float:
    """``dispatch.select.floor_ms``: the median time to fetch one dispatch profile by primary key through the
    ORM (``Profile.objects.get(pk=...)``), in the same process right after the selections: the floor of any
    ORM read, against which the selection is judged."""
    from apps.dispatch.models import Profile

    pks = list(Profile.objects.values_list("pk", flat=True))
    for pk in rng.sample(pks, 50):  # warm-up
        Profile.objects.get(pk=pk)
    times = []
    for _ in range(samples):
        pk = rng.choice(pks)
        t = time.perf_counter()
        Profile.objects.get(pk=pk)
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def explain_select(app) -> str:
    from apps.dispatch import selectors

    qs = selectors.ranked(selectors.eligible(app, "city", room=True)).values_list(*selectors.PICK_FIELDS)[:3]
    return qs.explain(analyze=True, buffers=True)


def _start_chunk(ids):
    import django
    from django.db import connection

    django.setup()
    from apps.dispatch import services

    for pk in ids:  # real dispatches through the service (round 1 with real candidates)
        services.dispatch_start(application_id=pk)
    connection.close()


def _start_all(ids: list[int], *, procs: int) -> None:
    """``dispatch_start`` for every id, in ``procs`` forked processes (the set-up of the sweep measurement: 10,000
    real dispatches take a quarter of an hour one after another on a busy machine)."""
    import multiprocessing as mp

    from django.db import connections

    connections.close_all()
    ctx = mp.get_context("fork")
    workers = [ctx.Process(target=_start_chunk, args=(ids[i::procs],)) for i in range(max(1, procs))]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
        assert w.exitcode == 0, w.exitcode


def measure_sweep(products, rng: random.Random, *, due: int) -> dict:
    """``due`` dispatches in round 1 whose deadline has passed; one sweep applies them all."""
    from apps.applications.models import Application
    from apps.common import clock
    from apps.dispatch import services
    from apps.dispatch.models import Timer

    apps = _applications(due, products, rng)
    ids = [a.pk for a in apps]
    t0 = time.monotonic()
    _start_all(ids, procs=int(os.environ.get("BENCH_SETUP_PROCS", "4")))  # not measured: the set-up
    setup_s = time.monotonic() - t0
    pending = Timer.objects.filter(done_at__isnull=True, dispatch__application_id__in=ids).count()
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE")
    clock.shift(timedelta(hours=8, minutes=1))
    t0 = time.monotonic()
    done = services.timers_sweep()
    elapsed = time.monotonic() - t0
    clock.reset()
    still = Application.objects.filter(pk__in=ids, status="dispatching").count()
    return {"rows_per_s": done / elapsed if elapsed else 0.0, "done": done, "pending": pending,
            "setup_s": setup_s, "seconds": elapsed, "still_dispatching": still}
