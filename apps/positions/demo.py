"""Demo money: each demo institution has recharged and moved margin, so positions are realistic."""
from decimal import Decimal

from apps.accounts.models import Organization, User

from . import services
from .models import Account, Recharge

FUNDING = {"inst1": ("200000", "120000", "30000"), "inst2": ("80000", "50000", "10000"),
           "inst3": ("20000", "6000", "5000")}


def seed() -> list[str]:
    created = []
    clerk = User.objects.filter(username="st1").first()
    for code, (total, margin, risk) in FUNDING.items():
        org = Organization.objects.filter(code=code).first()
        if org is None or clerk is None or Recharge.objects.filter(institution=org).exists():
            continue
        r = services.recharge_offline_submit(institution=org, amount=Decimal(total), bank_reference=f"DEMO-{code}",
                                             voucher_path="", user=clerk)
        services.recharge_offline_decide(recharge_id=r.pk, user=clerk, approve=True)
        services.transfer(institution=org, source=Account.Kind.CASH, target=Account.Kind.MARGIN, amount=margin,
                          key=f"demo:{code}:margin")
        services.transfer(institution=org, source=Account.Kind.CASH, target=Account.Kind.RISK, amount=risk,
                          key=f"demo:{code}:risk")
        created.append(code)
    return created
