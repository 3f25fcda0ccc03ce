from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from .departments import department_q
from .models import Complaint


def complaints_for_user(*, user) -> QuerySet:
    """Institutions: the complaints they filed and those against them (their own only). 数银: the
    complaint centre and 业务部 all; everyone else what they filed, what they are responsible for, what
    they (or their role) must act on now, the confirmations they owe as a superior, and the suggestions
    forwarded to their department."""
    qs = Complaint.objects.select_related("filed_by", "institution", "filing_institution", "owner",
                                          "responsible_user")
    org = user.organization
    if org is None or not user.has_perm("complaints.view_complaint"):
        return qs.none()
    if org.is_institution:
        return qs.filter(Q(filing_institution_id=org.root_id) | Q(institution_id=org.root_id))
    if user.has_perm("complaints.view_all_complaints"):
        return qs
    roles = list(user.roles.filter(is_active=True, organization__isnull=True).values_list("code", flat=True))
    return qs.filter(Q(filed_by=user) | Q(responsible_user=user) | Q(owner=user) | Q(responsible_user__superior=user)
                     | (Q(owner_role__in=roles) & ~Q(owner_role=""))
                     | (Q(status=Complaint.Status.SUGGESTION) & department_q(user, roles)))


def complaint_get_for_user(*, user, pk: int) -> Complaint:
    return get_object_or_404(complaints_for_user(user=user), pk=pk)


def queue_counts(*, user) -> dict:
    """The complaint centre's dashboard: open complaints by step, and how many are overdue."""
    from django.db.models import Count

    from apps.common import clock

    qs = complaints_for_user(user=user).exclude(status__in=Complaint.FINAL)
    by_status = dict(qs.values("status").annotate(n=Count("id")).values_list("status", "n"))
    return {"by_status": by_status, "overdue": qs.filter(due_at__lt=clock.now()).count()}
