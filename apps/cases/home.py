from django.db.models import Count, Q

from apps.common.cards import Card

from .models import Case
from .selectors import cases_for_user


def inst_cards(request):
    if not request.user.has_perm("cases.view_case"):
        return []
    counts = cases_for_user(user=request.user).aggregate(
        new=Count("pk", filter=Q(status=Case.Status.NEW)), open=Count("pk", filter=Q(status__in=Case.OPEN)))
    link = "inst:case_list"
    return [Card("待分配案件", counts["new"], link, tone="warning" if counts["new"] else "", order=11),
            Card("在办案件", counts["open"], link, order=12)]
