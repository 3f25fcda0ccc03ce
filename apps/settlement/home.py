from datetime import timedelta

from django.db.models import Count, Exists, OuterRef, Q

from apps.common import clock
from apps.common.cards import Card

from .models import CommissionAdjustment, Settlement
from .selectors import settlements_for_user


def _counts(user):
    today = clock.today()
    return settlements_for_user(user=user).aggregate(
        due=Count("pk", filter=Q(status=Settlement.Status.STATEMENT, due_date__gte=today,
                                 due_date__lte=today + timedelta(days=3))),
        overdue=Count("pk", filter=Q(status=Settlement.Status.STATEMENT, due_date__lt=today)),
        todo=Count("pk", filter=Q(status__in=[Settlement.Status.CONFIRMING, Settlement.Status.COMMISSION,
                                              Settlement.Status.PAID, Settlement.Status.CONFIRMED])),
        review=Count("pk", filter=Q(Exists(CommissionAdjustment.objects.filter(settlement=OuterRef("pk"),
                                                                                status="pending")))))


def inst_cards(request):
    if not request.user.has_perm("settlement.view_settlement"):
        return []
    c = _counts(request.user)
    link = "inst:settlement_list"
    return [Card("3 天内到期的结算单", c["due"], link, order=30),
            Card("逾期未付结算单", c["overdue"], link, "逾期将影响派单", "danger" if c["overdue"] else "", order=31)]


def ops_cards(request):
    if not request.user.has_perm("settlement.view_settlement"):
        return []
    c = _counts(request.user)
    link = "ops:settlement_list"
    review = ([Card("待复核佣金调整", c["review"], link, "跟单员提出的佣金调整，需另一人复核",
                    "warning" if c["review"] else "", order=29)]
              if request.user.has_perm("settlement.approve_commission") else [])
    return review + [Card("待处理结算单", c["todo"], link, "金额确认、佣金确认、收款确认、恢复头寸", order=30),
            Card("3 天内到期的结算单", c["due"], link, order=31),
            Card("逾期未付结算单", c["overdue"], link, tone="danger" if c["overdue"] else "", order=32)]
