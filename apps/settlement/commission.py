"""The commission arithmetic, in one place: exact Decimal, rounded half-up to the fen."""
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q

FEN = Decimal("0.01")


@dataclass(frozen=True)
class Terms:
    basis: str  # "rate" or "fixed"
    rate: Decimal | None
    fixed: Decimal | None
    minimum: Decimal
    service_fee: Decimal
    agreement: object = None  # the Agreement version that applied; None: the product's defaults


@dataclass(frozen=True)
class Statement:
    commission: Decimal
    service_fee: Decimal

    @property
    def total(self) -> Decimal:
        return self.commission + self.service_fee


def terms_for(institution_id: int, product, on: date) -> Terms:
    """The institution's agreement for the product in force on ``on`` (the disbursement date), or the product's
    defaults when none is."""
    from .models import Agreement

    agreement = (Agreement.objects.filter(institution_id=institution_id, product=product, valid_from__lte=on)
                 .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on)).first())
    if agreement is None:
        return Terms("rate", product.commission_rate, None, product.commission_min, product.service_fee)
    fee = agreement.service_fee if agreement.service_fee is not None else product.service_fee
    if agreement.fixed_amount is not None:
        return Terms("fixed", None, agreement.fixed_amount, agreement.minimum, fee, agreement)
    return Terms("rate", agreement.rate, None, agreement.minimum, fee, agreement)


def compute(amount: Decimal, terms: Terms) -> Statement:
    """Commission = rate × disbursed amount (or the fixed sum), at least the minimum; plus the service fee."""
    if amount <= 0:
        raise ValueError("disbursed amount must be positive")
    base = terms.fixed if terms.basis == "fixed" else (amount * terms.rate)
    commission = max(base.quantize(FEN, rounding=ROUND_HALF_UP), terms.minimum.quantize(FEN))
    return Statement(commission=commission, service_fee=terms.service_fee.quantize(FEN))
