from datetime import timedelta

from django.db.models import Count, Q

from apps.common import clock
from apps.common.cards import Card

from .models import Settlement
from .selectors import settlements_for_user


def _counts(user):
    today = clock.today()
    return settlements_for_user(user=user).aggregate(
        due=Count("pk", filter=Q(status=Settlement.Status.STATEMENT, due_date__gte=today,
                                 due_date__lte=today + timedelta(days=3))),
        overdue=Count("pk", filter=Q(status=Settlement.Status.STATEMENT, due_date__lt=today)),
        todo=Count("pk", filter=Q(status__in=[Settlement.Status.CONFIRMING, Settlement.Status.PAID,
                                              Settlement.Status.CONFIRMED])))


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
    return [Card("待处理结算单", c["todo"], link, "金额确认、收款确认、恢复头寸", order=30),
            Card("3 天内到期的结算单", c["due"], link, order=31),
            Card("逾期未付结算单", c["overdue"], link, tone="danger" if c["overdue"] else "", order=32)]
