"""工作台 cards of the finance desk (结算员, 业务部): offline recharges to confirm (and online payments that arrived
after their order expired) and adjustments or withdrawals waiting for a second person's check. One query each."""
from django.db.models import Count, Q

from apps.common.cards import Card

from .models import Approval, Recharge


def ops_cards(request):
    user = request.user
    cards = []
    if user.has_perm("positions.confirm_recharge"):
        c = Recharge.objects.aggregate(
            pending=Count("pk", filter=Q(method=Recharge.Method.OFFLINE, status=Recharge.Status.PENDING)),
            late=Count("pk", filter=Q(status=Recharge.Status.LATE_PAID)))
        cards.append(Card("待确认的线下充值", c["pending"], "ops:recharge_queue",
                          f"另有过期后到账 {c['late']} 笔待处理" if c["late"] else "核对银行流水后入账",
                          "warning" if c["pending"] or c["late"] else "", 20))
    if user.has_perm("positions.check_adjustment"):
        n = Approval.objects.filter(status=Approval.Status.PENDING).exclude(requested_by=user).count()
        cards.append(Card("待我复核的调账/提现", n, "ops:approvals", "由另一位同事提出，复核通过后资金变动",
                          "warning" if n else "", 21))
    return cards
