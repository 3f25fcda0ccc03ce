from django.db.models import Count, Q

from apps.common import clock
from apps.common.cards import Card

from .models import Complaint
from .selectors import complaints_for_user


def _my_steps(user) -> Q:
    """The open steps this 数银 user acts on now: steps they own, steps their role owns (受理审核, 终审, 数银确认 for
    投诉处理; the decision on a 跟单's complaint for 业务部), and suggestions forwarded to their department that
    nobody there has marked handled."""
    from .departments import department_q

    roles = list(user.roles.filter(is_active=True, organization__isnull=True).values_list("code", flat=True))
    return (Q(owner=user) | (Q(owner__isnull=True) & Q(owner_role__in=roles) & ~Q(owner_role=""))
            | (Q(status=Complaint.Status.SUGGESTION, suggestion_handled_at__isnull=True) & department_q(user, roles)))


def _cards(request, area: str):
    if not request.user.has_perm("complaints.view_complaint"):
        return []
    now = clock.now()
    counts = complaints_for_user(user=request.user).exclude(status__in=Complaint.FINAL).aggregate(
        open=Count("pk"), overdue=Count("pk", filter=Q(due_at__lt=now)))
    link = f"{area}:complaint_list"
    cards = [Card("处理中的投诉", counts["open"], link, order=60),
             Card("超时的投诉步骤", counts["overdue"], link, tone="danger" if counts["overdue"] else "", order=61,
                  query="overdue=on")]
    if area == "ops":
        # the user's own to-dos first on the page: how many, at which steps (the list filtered to the one step)
        still_open = ~Q(status__in=Complaint.FINAL) | Q(status=Complaint.Status.SUGGESTION,
                                                         suggestion_handled_at__isnull=True)
        mine = dict(complaints_for_user(user=request.user).filter(still_open & _my_steps(request.user))
                    .values("status").annotate(n=Count("pk"))
                    .values_list("status", "n"))
        labels = dict(Complaint.Status.choices)
        total = sum(mine.values())
        note = " · ".join(f"{labels[s]} {n}" for s, n in sorted(mine.items())) or "暂无待办"
        cards.insert(0, Card("待我处理的投诉", total, link, note, "warning" if total else "", order=8,
                             query=f"status={next(iter(mine))}" if len(mine) == 1 else ""))
    return cards


def ops_cards(request):
    return _cards(request, "ops")


def inst_cards(request):
    return _cards(request, "inst")
