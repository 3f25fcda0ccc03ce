from decimal import Decimal

import pytest


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
