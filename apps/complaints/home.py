from django.db.models import Count, Q

from apps.common import clock
from apps.common.cards import Card

from .models import Complaint
from .selectors import complaints_for_user


def _cards(request, area: str):
    if not request.user.has_perm("complaints.view_complaint"):
        return []
    counts = complaints_for_user(user=request.user).exclude(status__in=Complaint.FINAL).aggregate(
        open=Count("pk"), overdue=Count("pk", filter=Q(due_at__lt=clock.now())))
    link = f"{area}:complaint_list"
    return [Card("处理中的投诉", counts["open"], link, order=60),
            Card("超时的投诉步骤", counts["overdue"], link, tone="danger" if counts["overdue"] else "", order=61)]


def ops_cards(request):
    return _cards(request, "ops")


def inst_cards(request):
    return _cards(request, "inst")
