"""Fifty concurrent clients doing the main money and workflow actions, each thread with its own database
connection: institutions answer offers and move money through the real pages (Django's test client, the
whole view stack), customer managers record clients' choices through the choice page, reviewers push new
applications through review (which dispatches them), the follow-up manager extends windows and closes
rounds, clerks confirm recharges, and a sweeper applies deadlines as beat would, with one-minute windows.
No 500, no unhandled exception, no deadlock; afterwards the books balance and every case is in one place."""
import random
import threading
import time
import traceback
import uuid
from collections import Counter
from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import OperationalError, connection
from django.http import Http404
from django.test import Client

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("db-threads")]
REFUSALS = (ValidationError, PermissionDenied, Http404)  # a rule said no: the pages show these as messages


class Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.actions, self.http, self.refused = Counter(), Counter(), Counter()
        self.failures: list[str] = []

    def fail(self, what: str) -> None:
        with self.lock:
            self.failures.append(what)


def deadlocks() -> int:
    with connection.cursor() as cur:
        cur.execute("SELECT pg_stat_clear_snapshot()")
        cur.execute("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
        return cur.fetchone()[0]


@pytest.mark.parametrize("seconds", [pytest.param(25, id="short"),
                                     pytest.param(600, id="full", marks=pytest.mark.chaos)])
def test_fifty_clients(cast, partners, bulk_ready, product, books_balance, seconds, clock_reset):
    from apps.applications import services as review
    from apps.applications.models import Application, Status as AppStatus
    from apps.common.params import param_set
    from apps.common.validators import resident_id_check_char
    from apps.dispatch import services as dispatch
    from apps.dispatch.models import Candidate, Dispatch
    from apps.members import services as members
    from apps.positions import services as ledger
    from apps.positions.models import Hold
    from apps.positions.selectors import ledger_check
    from apps.regions.models import Region

    from tests.fixtures.workflow import png

    C, D = Candidate.Status, Dispatch.Status
    for key in ("dispatch.round_minutes", "dispatch.choice_minutes"):  # windows lapse during the run
        param_set(key=key, raw=1, user=cast.admin, reason="chaos")
    ps = partners(12, margin="5000000", capacity=100000)
    for app in bulk_ready(60):
        dispatch.dispatch_start(application_id=app.pk)
    for p in ps:  # partners() funds the margin; cash for transfers and fees
        r = ledger.recharge_offline_submit(institution=p.org, amount="200000", bank_reference="LOAD", voucher_path="",
                                           user=p.user)
        ledger.recharge_offline_decide(recharge_id=r.pk, user=cast.st, approve=True)
    region = Region.objects.get(code="440305")
    tally, stop = Tally(), threading.Event()
    seq_lock, seq = threading.Lock(), [0]

    def next_seq() -> int:
        with seq_lock:
            seq[0] += 1
            return seq[0]

    def http(client, method, url, data=None):
        resp = getattr(client, method)(url, data or {})
        with tally.lock:
            tally.http[resp.status_code] += 1
        if resp.status_code not in (200, 302):
            tally.fail(f"{method.upper()} {url} → {resp.status_code}")
        return resp

    def pick(qs):
        return qs.order_by("?").values_list("pk", flat=True).first()

    # ---- the clients ----
    def institution(rng, client, p):
        roll = rng.random()
        if roll < 0.45:
            pk = pick(Candidate.objects.filter(institution=p.org, status=C.OFFERED))
            if pk is None:
                return "idle"
            if rng.random() < 0.7:
                http(client, "post", f"/inst/dispatch/offers/{pk}/accept/")
                return "offer_accept"
            http(client, "post", f"/inst/dispatch/offers/{pk}/decline/", {"code": "other", "text": "压测拒绝"})
            return "offer_decline"
        if roll < 0.65:
            direction = rng.choice(["cash>margin", "margin>cash", "cash>risk"])
            amount = f"{rng.randint(1, 300)}.{rng.randint(0, 99):02d}"
            http(client, "post", "/inst/finance/transfer/", {"transfer": "1", "direction": direction, "amount": amount,
                                                             "idem": uuid.uuid4().hex})
            return "transfer"
        if roll < 0.75:
            amount = rng.randint(100, 5000)
            order = ledger.recharge_online_create(institution=p.org, amount=amount, user=p.user)
            ledger.recharge_online_paid(order_no=order.order_no, txn_id=f"LOAD{uuid.uuid4().hex[:16]}", amount=amount)
            return "recharge_online"
        if roll < 0.85:
            hold = ledger.hold_place(institution=p.org, ref_type="load", ref_id=uuid.uuid4().hex, amount="500")
            ledger.hold_release(hold_id=hold.pk)
            return "hold"
        http(client, "get", rng.choice(["/inst/", "/inst/dispatch/offers/", "/inst/dispatch/offers/?tab=history",
                                        "/inst/finance/", "/inst/finance/journal/", "/inst/finance/recharges/"]))
        return "page"

    def customer_manager(rng, client, _):
        app_id = pick(Application.objects.filter(cm=cast.cm, dispatches__status=D.CHOOSING))
        if app_id is None or rng.random() < 0.2:
            http(client, "get", rng.choice(["/ops/dispatch/choices/", "/ops/"]))
            return "page"
        accepted = list(Candidate.objects.filter(application_id=app_id, status=C.ACCEPTED).values_list("pk", flat=True))
        if rng.random() < 0.15 or not accepted:
            http(client, "post", f"/ops/dispatch/{app_id}/choice/", {"candidate": "refuse", "note": "客户暂不需要"})
            return "client_refuse"
        http(client, "post", f"/ops/dispatch/{app_id}/choice/", {"candidate": str(rng.choice(accepted)), "note": ""})
        return "client_choose"

    def reviewer(rng, _client, _):
        if rng.random() < 0.25:
            app_id = pick(Application.objects.filter(status=AppStatus.REDISPATCH))
            if app_id is not None:
                app = Application.objects.get(pk=app_id)
                _levels, default = dispatch.redispatch_levels(app)
                dispatch.redispatch(actor=cast.lr, application_id=app_id, level=default)
                return "redispatch"
        n = next_seq()
        first17 = f"440305{date(1960, 1, 1) + timedelta(days=n):%Y%m%d}{n % 1000:03d}"
        member = members.member_register(actor=cast.cm, real_name=f"压测客户{n}",
                                         id_number=first17 + resident_id_check_char(first17), mobile=f"139{n:08d}",
                                         address="深圳市南山区", client_type="individual", id_photo_front=png(),
                                         id_photo_back=png())
        member = members.member_decide(actor=cast.cs, member_id=member.pk, approve=True)
        app = review.application_create(actor=cast.cm, member=member, product=product, amount="50000",
                                        term_months=12, region=region, purpose="经营周转", client_type="individual")
        for name in product.checklist:
            review.document_add(actor=cast.cm, application_id=app.pk, name=name, upload=png())
        review.application_submit(actor=cast.cm, application_id=app.pk)
        review.cs_pass(actor=cast.cs, application_id=app.pk)
        review.lr_pass(actor=cast.lr, application_id=app.pk)  # dispatches it after commit
        return "application_review"

    def follow_up(rng, client, _):
        d_id = pick(Dispatch.objects.filter(status__in=Dispatch.LIVE))
        roll = rng.random()
        if d_id is None or roll < 0.4:
            http(client, "get", "/ops/dispatch/monitor/")
            return "page"
        if roll < 0.7:
            dispatch.window_extend(actor=cast.of, dispatch_id=d_id, minutes=1, reason="压测延长")
            return "window_extend"
        dispatch.round_close_early(actor=cast.of, dispatch_id=d_id, reason="压测提前结束")
        return "round_close"

    def clerk(rng, client, _):
        p = rng.choice(ps)
        r = ledger.recharge_offline_submit(institution=p.org, amount=rng.randint(100, 9000), bank_reference="LOAD",
                                           voucher_path="", user=p.user)
        ledger.recharge_offline_decide(recharge_id=r.pk, user=cast.st, approve=rng.random() < 0.8, reason="压测驳回")
        if rng.random() < 0.3:
            http(client, "get", rng.choice(["/ops/finance/", "/ops/finance/recharges/", "/ops/finance/journal/"]))
        return "recharge_offline"

    def sweeper(rng, _client, _):
        time.sleep(rng.uniform(0.5, 1.5))
        dispatch.dispatch_start_pending()
        dispatch.timers_sweep()
        return "sweep"

    roles = ([(institution, p.user, p) for p in ps for _ in range(2)]  # 24
             + [(customer_manager, cast.cm, None)] * 8 + [(reviewer, None, None)] * 8
             + [(follow_up, cast.of, None)] * 5 + [(clerk, cast.st, None)] * 5)  # = 50 clients
    assert len(roles) == 50
    roles.append((sweeper, None, None))  # plus beat's part, as a thread

    def run(i, act, user, arg):
        rng = random.Random(i)
        client = Client()
        if user is not None:
            client.force_login(user)
        try:
            while not stop.is_set():
                try:
                    name = act(rng, client, arg)
                    with tally.lock:
                        tally.actions[name] += 1
                except REFUSALS as exc:
                    reason = exc.messages[0][:24] if isinstance(exc, ValidationError) else type(exc).__name__
                    with tally.lock:
                        tally.refused[f"{act.__name__}: {reason}"] += 1
                except OperationalError:  # a deadlock the services did not absorb, or worse
                    tally.fail(f"{act.__name__}: {traceback.format_exc()[-2500:]}")
                except Exception:  # noqa: BLE001 — what a page would have answered with a 500
                    tally.fail(f"{act.__name__}: {traceback.format_exc()[-1500:]}")
        finally:
            connection.close()

    deadlocks_before = deadlocks()
    threads = [threading.Thread(target=run, args=(i, *role)) for i, role in enumerate(roles)]
    started = time.monotonic()
    for t in threads:
        t.start()
    time.sleep(seconds)
    stop.set()
    elapsed = time.monotonic() - started
    for t in threads:  # the sweeper may be in the middle of a long sweep
        t.join(600)
    assert not any(t.is_alive() for t in threads), "a client is still stuck 10 minutes after the end"
    dispatch.timers_sweep()
    time.sleep(1.5)  # backends flush their statistics within a second
    new_deadlocks = deadlocks() - deadlocks_before

    assert not tally.failures, f"{len(tally.failures)} failures:\n" + "\n".join(tally.failures[:10])
    assert new_deadlocks == 0, f"{new_deadlocks} deadlocks"
    assert tally.http[500] == 0
    # books and cases: the ledger reconciles, no hold outlives its case, every case in one place
    assert ledger_check(deep=True) == []
    books_balance()
    assert not Hold.objects.filter(ref_type="load", status=Hold.Status.ACTIVE).exists()
    closed = [D.FAILED, D.LAPSED, D.REFUSED]
    leaked = Candidate.objects.filter(status=C.ACCEPTED, dispatch__status__in=closed + [D.CHOSEN]).count()
    assert leaked == 0, f"{leaked} accepted offers left on closed dispatches"
    released = Candidate.objects.filter(status=C.RELEASED).values_list("hold_id", flat=True)
    assert not Hold.objects.filter(pk__in=list(released), status=Hold.Status.ACTIVE).exists()
    holding = Counter(Hold.objects.filter(ref_type="application", status=Hold.Status.ACTIVE)
                      .values_list("institution_id", flat=True))
    for p in ps:
        p.profile.refresh_from_db()
        assert p.profile.active_cases == holding[p.org.pk], (p.org.name, p.profile.active_cases, holding[p.org.pk])
    want = {D.RUNNING: AppStatus.DISPATCHING, D.CHOOSING: AppStatus.AWAITING_CHOICE, D.FAILED: AppStatus.REDISPATCH,
            D.LAPSED: AppStatus.REDISPATCH, D.REFUSED: AppStatus.REDISPATCH}
    latest = {}
    for app_id, status, app_status, first_accepted in Dispatch.objects.order_by("attempt").values_list(
            "application_id", "status", "application__status", "first_accepted_at"):
        # a running dispatch with an acceptance waits for the client's choice (seed: 满足条件一家以上则进入下一流程)
        expect = AppStatus.AWAITING_CHOICE if status == D.RUNNING and first_accepted else want.get(status)
        latest[app_id] = (status, app_status, expect)
    wrong = [(a, s, st) for a, (s, st, expect) in latest.items()
             if (expect is not None and st != expect) or (s == D.CHOSEN and st in want.values())]
    assert not wrong, wrong[:10]
    stuck = Application.objects.filter(status=AppStatus.READY).count()
    assert stuck == 0, f"{stuck} applications passed review but never dispatched"

    actions = sum(tally.actions.values())
    print(f"\n[chaos] 50 clients for {elapsed:.0f}s: {actions} actions ({actions / elapsed:.0f}/s) "
          f"{dict(tally.actions)}; refused by a rule {dict(tally.refused)}; HTTP {dict(tally.http)}; "
          f"deadlocks {new_deadlocks}")
