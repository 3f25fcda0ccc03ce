"""Kill database connections (``pg_terminate_backend``) under money load: threads with their own connections
move money between accounts, place and release holds and take online recharges, each operation retried
after a lost connection exactly as a client retries a request whose answer it never got (same idempotency
key, same provider transaction, same case). No half posting, nothing lost, nothing doubled, books proven."""
import random
import threading
import time
from collections import Counter
from decimal import Decimal

import pytest
from django.db import InterfaceError, OperationalError, connection

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("db-threads")]
THREADS = 8


def retried(fn, lost: Counter):
    """Run ``fn`` until it gets an answer: a lost connection is closed and the same call made again."""
    while True:
        try:
            return fn()
        except (OperationalError, InterfaceError):
            lost["retries"] += 1
            connection.close()
            time.sleep(0.01)


@pytest.mark.parametrize("kills", [pytest.param(20, id="short"), pytest.param(200, id="full", marks=pytest.mark.chaos)])
def test_terminated_connections_leave_no_half_postings(cast, fund, books_balance, kills):
    from apps.positions import services
    from apps.positions.models import Account, Hold, JournalEntry, Recharge
    from apps.positions.selectors import ledger_check

    K = Account.Kind
    orgs = [cast.inst_a, cast.inst_b]
    for org in orgs:
        fund(org, clerk=cast.st, cash="1000000", margin="200000")
    start = {a.pk: a.balance for org in orgs for a in services.institution_accounts(org).values()}
    pairs = [(K.CASH, K.MARGIN), (K.MARGIN, K.CASH), (K.CASH, K.RISK)]
    stop = threading.Event()
    logs = [dict(transfers=[], refused=[], recharges=[], holds=[], errors=[], lost=Counter(), ops=0)
            for _ in range(THREADS)]

    def load(i):
        rng, log, n = random.Random(i), logs[i], 0
        try:
            while not stop.is_set():
                n += 1
                org = rng.choice(orgs)
                roll = rng.random()
                try:
                    if roll < 0.6:
                        src, dst = rng.choice(pairs)
                        key, amount = f"chaos:{i}:{n}", Decimal(f"{rng.randint(1, 900)}.{rng.randint(0, 99):02d}")
                        try:
                            entry = retried(lambda: services.transfer(institution=org, source=src, target=dst,
                                                                      amount=amount, key=key), log["lost"])
                            log["transfers"].append((key, org.pk, src, dst, amount, entry.pk))
                        except services.LedgerError:
                            log["refused"].append(key)
                    elif roll < 0.85:
                        ref = f"chaos-{i}-{n}"
                        hold = retried(lambda: services.hold_place(institution=org, ref_type="chaos", ref_id=ref,
                                                                   amount="100"), log["lost"])
                        released = retried(lambda: services.hold_release(hold_id=hold.pk), log["lost"])
                        log["holds"].append((hold.pk, released))
                    else:
                        amount = Decimal(rng.randint(1, 5000))
                        order = retried(lambda: services.recharge_online_create(institution=org, amount=amount,
                                                                                user=cast.a_admin), log["lost"])
                        txn = f"CHAOS{i}X{n}"
                        _, fresh = retried(lambda: services.recharge_online_paid(order_no=order.order_no, txn_id=txn,
                                                                                 amount=amount), log["lost"])
                        log["recharges"].append((order.order_no, org.pk, amount, fresh))
                    log["ops"] += 1
                except Exception as exc:  # noqa: BLE001 — anything but a lost connection is a failure
                    log["errors"].append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=load, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    rng, done, busy_kills = random.Random(7), 0, 0
    started = time.monotonic()
    try:
        while done < kills and time.monotonic() - started < 600:
            time.sleep(rng.uniform(0.02, 0.12))
            with connection.cursor() as cur:
                cur.execute("SELECT pid, state FROM pg_stat_activity WHERE datname = current_database()"
                            " AND pid <> pg_backend_pid() AND backend_type = 'client backend'")
                backends = cur.fetchall()
                busy = [pid for pid, state in backends if state != "idle"]
                if not backends:
                    continue
                pid = rng.choice(busy or [pid for pid, _ in backends])
                cur.execute("SELECT pg_terminate_backend(%s)", [pid])
                if cur.fetchone()[0]:
                    done += 1
                    busy_kills += bool(busy)
    finally:
        stop.set()
        for t in threads:
            t.join()
    elapsed = time.monotonic() - started
    assert done >= kills, f"only {done} connections terminated"

    errors = [e for log in logs for e in log["errors"]]
    assert not errors, errors[:10]
    # every transfer that answered exists exactly once, every refused one not at all (idempotency keys)
    transfers = [t for log in logs for t in log["transfers"]]
    keys = Counter(JournalEntry.objects.filter(idempotency_key__startswith="chaos:").values_list("idempotency_key",
                                                                                                  flat=True))
    assert all(keys[t[0]] == 1 for t in transfers) and len(keys) == len(transfers), "transfer lost or doubled"
    refused = [k for log in logs for k in log["refused"]]
    assert not any(keys[k] for k in refused)
    # each online payment credited once, holds placed and released once
    recharges = [r for log in logs for r in log["recharges"]]
    credited = Recharge.objects.filter(order_no__in=[r[0] for r in recharges], status=Recharge.Status.CREDITED)
    assert credited.count() == len(recharges)
    assert JournalEntry.objects.filter(idempotency_key__in=[f"recharge:{r[0]}" for r in recharges]).count() == len(
        recharges)
    holds = [h for log in logs for h in log["holds"]]
    assert Hold.objects.filter(ref_type="chaos").count() == len(holds)
    assert not Hold.objects.filter(ref_type="chaos", status=Hold.Status.ACTIVE).exists()
    # the balances are what the answered operations say, to the cent
    want = dict(start)
    accounts = {org.pk: services.institution_accounts(org) for org in orgs}
    for _key, org_id, src, dst, amount, _entry in transfers:
        want[accounts[org_id][src].pk] -= amount
        want[accounts[org_id][dst].pk] += amount
    for _order, org_id, amount, _fresh in recharges:
        want[accounts[org_id][K.CASH].pk] += amount
    got = dict(Account.objects.filter(pk__in=want).values_list("pk", "balance"))
    assert got == want
    assert ledger_check(deep=True) == []
    books_balance()
    lost = sum((log["lost"] for log in logs), Counter())
    ops = sum(log["ops"] for log in logs)
    print(f"\n[chaos] pg_terminate_backend ×{done} ({busy_kills} on a busy connection) in {elapsed:.0f}s: {ops} "
          f"operations ({len(transfers)} transfers, {len(refused)} refused, {len(holds)} holds, "
          f"{len(recharges)} recharges, {sum(not r[3] for r in recharges)} of them answered by the replay), "
          f"{lost['retries']} retries after a lost connection")
