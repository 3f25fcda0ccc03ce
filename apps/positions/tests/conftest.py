import threading
from decimal import Decimal

import pytest
from django.db import connection


@pytest.fixture
def fund():
    """fund(org, cash=..., margin=..., risk=...) credits accounts through the real services
    (an offline recharge confirmed by a clerk, then transfers)."""
    from apps.positions import services
    from apps.positions.models import Account

    def _fund(org, *, clerk, cash="0", margin="0", risk="0"):
        total = Decimal(cash) + Decimal(margin) + Decimal(risk)
        r = services.recharge_offline_submit(institution=org, amount=total, bank_reference="TEST",
                                             voucher_path="", user=clerk)
        services.recharge_offline_decide(recharge_id=r.pk, user=clerk, approve=True)
        if Decimal(margin):
            services.transfer(institution=org, source=Account.Kind.CASH, target=Account.Kind.MARGIN, amount=margin)
        if Decimal(risk):
            services.transfer(institution=org, source=Account.Kind.CASH, target=Account.Kind.RISK, amount=risk)
        return services.institution_accounts(org)

    return _fund


@pytest.fixture
def books_balance():
    """Call at the end of every test that moves money."""
    from apps.positions.selectors import ledger_check

    def _check():
        breaches = ledger_check(deep=True)
        assert breaches == [], breaches

    return _check


def run_threads(n, target):
    """Run target(i) in n threads with their own DB connections; returns (results, errors)."""
    results, errors = [None] * n, [None] * n
    barrier = threading.Barrier(n)

    def runner(i):
        try:
            barrier.wait()
            results[i] = target(i)
        except Exception as exc:  # collected for the test to inspect
            errors[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, errors
