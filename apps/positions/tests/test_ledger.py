from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction

from apps.positions import services
from apps.positions.models import Account, Hold, JournalEntry, JournalLine
from apps.positions.selectors import institution_finance_summary, ledger_check

from apps.common.testing import run_threads

K = Account.Kind
pytestmark = pytest.mark.django_db


def test_recharge_transfer_hold_capture_release(cast, fund, books_balance):
    accts = fund(cast.inst_a, clerk=cast.st, cash="10000", margin="6000", risk="1000")
    assert [accts[k].balance for k in (K.CASH, K.MARGIN, K.RISK)] == [Decimal("10000"), Decimal("6000"),
                                                                     Decimal("1000")]
    hold = services.hold_place(institution=cast.inst_a_sub, ref_type="application", ref_id="SY1", amount="5000")
    assert hold.institution == cast.inst_a  # sub-institutions use their root's accounts
    assert institution_finance_summary(cast.inst_a)["position"] == Decimal("1000")
    with pytest.raises(services.LedgerError, match="头寸不足"):
        services.hold_place(institution=cast.inst_a, ref_type="application", ref_id="SY2", amount="1000.01")
    with pytest.raises(services.LedgerError, match="可用余额不足"):
        services.transfer(institution=cast.inst_a, source=K.MARGIN, target=K.CASH, amount="1000.01")
    assert services.hold_place(institution=cast.inst_a, ref_type="application", ref_id="SY1", amount="5000") == hold
    entry = services.hold_capture(hold_id=hold.pk, amount="1200")
    assert entry.lines.count() == 2
    assert services.hold_capture(hold_id=hold.pk) is None and services.hold_release(hold_id=hold.pk) is False
    h2 = services.hold_place(institution=cast.inst_a, ref_type="application", ref_id="SY3", amount="4000")
    assert services.hold_release(hold_id=h2.pk) is True and services.hold_release(hold_id=h2.pk) is False
    summary = institution_finance_summary(cast.inst_a)
    assert summary["margin"] == Decimal("4800") and summary["held"] == 0 and summary["position"] == Decimal("4800")
    assert Account.objects.get(owner=None, kind=K.COMMISSION).balance == Decimal("1200")
    services.penalise(institution=cast.inst_a, amount="300", reason="投诉处罚")
    assert services.institution_accounts(cast.inst_a)[K.RISK].balance == Decimal("700")
    books_balance()


def test_idempotency_key_moves_money_once(cast, fund, books_balance):
    fund(cast.inst_a, clerk=cast.st, cash="1000")
    e1 = services.transfer(institution=cast.inst_a, source=K.CASH, target=K.MARGIN, amount="100", key="k-1")
    e2 = services.transfer(institution=cast.inst_a, source=K.CASH, target=K.MARGIN, amount="100", key="k-1")
    assert e1 == e2 and services.institution_accounts(cast.inst_a)[K.MARGIN].balance == Decimal("100")
    books_balance()


def test_journal_is_immutable(cast, fund):
    fund(cast.inst_a, clerk=cast.st, cash="10")
    line = JournalLine.objects.first()
    with pytest.raises(Exception, match="immutable"):
        with transaction.atomic():
            JournalLine.objects.filter(pk=line.pk).update(amount=Decimal("99"))
    with pytest.raises(Exception, match="immutable"):
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute("DELETE FROM positions_journalline WHERE id = %s", [line.pk])


def test_database_refuses_negative_balance(cast, fund):
    accts = fund(cast.inst_a, clerk=cast.st, cash="10")
    with pytest.raises(IntegrityError):
        with transaction.atomic():
            Account.objects.filter(pk=accts[K.CASH].pk).update(balance=Decimal("-1"))


def test_ledger_check_detects_tampering(cast, fund):
    accts = fund(cast.inst_a, clerk=cast.st, cash="100", margin="50")
    assert ledger_check() == []
    Account.objects.filter(pk=accts[K.CASH].pk).update(balance=Decimal("51"))
    Account.objects.filter(pk=accts[K.MARGIN].pk).update(held=Decimal("5"))
    breaches = ledger_check()
    assert any("余额与流水合计不符" in b for b in breaches) and any("冻结金额" in b for b in breaches)
    with pytest.raises(Exception, match="breach"):
        call_command("ledger_check")


def test_ledger_check_proves_each_recharge_credited_exactly_once(cast, fund):
    from apps.positions.models import Recharge

    fund(cast.inst_a, clerk=cast.st, cash="100")
    online = services.recharge_online_create(institution=cast.inst_a, amount="20", user=cast.a_admin)
    assert ledger_check() == []
    credited = Recharge.objects.get(status="credited")
    Recharge.objects.filter(pk=credited.pk).update(amount=Decimal("99"))  # the order says another amount
    Recharge.objects.filter(pk=online.pk).update(status="credited")  # marked paid without an entry
    breaches = ledger_check()
    assert any("充值凭证金额与充值单不符" in b for b in breaches)
    assert any("充值入账状态异常" in b and str(online.pk) in b for b in breaches)
    Recharge.objects.filter(pk=credited.pk).update(entry=None, status="late_paid")  # an entry without its recharge
    assert any("充值凭证没有对应的充值单" in b for b in ledger_check())


def test_four_eyes_adjustment_and_risk_withdrawal(cast, fund, books_balance):
    from apps.positions.models import Approval

    fund(cast.inst_a, clerk=cast.st, cash="100", risk="500")
    adj = services.approval_request(kind=Approval.Kind.ADJUSTMENT, institution=cast.inst_a, account_kind=K.CASH,
                                    amount="-30", reason="银行手续费更正", user=cast.st)
    with pytest.raises(services.LedgerError, match="不能是申请人本人"):
        services.approval_decide(approval_id=adj.pk, user=cast.st, approve=True)
    services.approval_decide(approval_id=adj.pk, user=cast.admin, approve=True)
    with pytest.raises(services.LedgerError, match="已处理"):
        services.approval_decide(approval_id=adj.pk, user=cast.admin, approve=True)
    wd = services.approval_request(kind=Approval.Kind.WITHDRAWAL, institution=cast.inst_a, account_kind=K.RISK,
                                   amount="200", reason="风险保证金转回", user=cast.a_admin)
    services.approval_decide(approval_id=wd.pk, user=cast.st, approve=True)
    accts = services.institution_accounts(cast.inst_a)
    assert accts[K.CASH].balance == Decimal("270") and accts[K.RISK].balance == Decimal("300")
    books_balance()


@pytest.mark.django_db(transaction=True)
@pytest.mark.xdist_group("db-threads")  # one at a time: PostgreSQL allows 100 connections
def test_fifty_threads_race_for_seven_holds(cast, fund, books_balance):
    fund(cast.inst_a, clerk=cast.st, margin="7000")

    def place(i):
        return services.hold_place(institution=cast.inst_a, ref_type="application", ref_id=f"race-{i}",
                                   amount="1000")

    results, errors = run_threads(50, place)
    assert sum(r is not None for r in results) == 7
    assert all(isinstance(e, services.LedgerError) for e in errors if e is not None)
    assert sum(e is not None for e in errors) == 43
    margin = services.institution_accounts(cast.inst_a)[K.MARGIN]
    assert margin.held == Decimal("7000") and margin.available == 0
    assert Hold.objects.filter(status="active").count() == 7
    books_balance()


@pytest.mark.django_db(transaction=True)
@pytest.mark.xdist_group("db-threads")  # one at a time: PostgreSQL allows 100 connections
def test_release_and_capture_race_resolves_once(cast, fund, books_balance):
    fund(cast.inst_a, clerk=cast.st, margin="1000")
    hold = services.hold_place(institution=cast.inst_a, ref_type="application", ref_id="once", amount="1000")

    def act(i):
        return services.hold_release(hold_id=hold.pk) if i % 2 else services.hold_capture(hold_id=hold.pk)

    results, errors = run_threads(20, act)
    assert errors == [None] * 20
    assert sum(1 for r in results if r not in (None, False)) == 1
    books_balance()


def _random_transfers(cast, fund, books_balance, per_thread):
    import random

    orgs = [cast.inst_a, cast.inst_b]
    for org in orgs:
        fund(org, clerk=cast.st, cash="500000", margin="100000")
    before = sum(a.balance for org in orgs for a in services.institution_accounts(org).values())
    pairs = [(K.CASH, K.MARGIN), (K.MARGIN, K.CASH), (K.CASH, K.RISK)]

    def worker(i):
        rng = random.Random(i)
        done = 0
        for _ in range(per_thread):
            src, dst = rng.choice(pairs)
            try:
                services.transfer(institution=rng.choice(orgs), source=src, target=dst,
                                  amount=f"{rng.randint(1, 500)}.{rng.randint(0, 99):02d}")
                done += 1
            except services.LedgerError:
                pass
        return done

    results, errors = run_threads(32, worker)
    assert errors == [None] * 32 and sum(results) > 1000
    after = sum(a.balance for org in orgs for a in services.institution_accounts(org).values())
    assert after == before
    books_balance()


@pytest.mark.django_db(transaction=True)
@pytest.mark.xdist_group("db-threads")  # one at a time: PostgreSQL allows 100 connections
def test_concurrent_random_transfers_no_deadlock_totals_kept(cast, fund, books_balance):
    _random_transfers(cast, fund, books_balance, per_thread=60)  # 32 × 60 = 1,920 (the CI-sized run)


@pytest.mark.chaos
@pytest.mark.django_db(transaction=True)
@pytest.mark.xdist_group("db-threads")  # one at a time: PostgreSQL allows 100 connections
def test_ten_thousand_random_transfers_by_32_threads(cast, fund, books_balance):
    _random_transfers(cast, fund, books_balance, per_thread=313)  # 32 × 313 = 10,016 (make chaos)
