from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from apps.accounts.selectors import scope_queryset

from .models import Application, Status

QUEUES = {
    # name: (title, permission code, filter)
    "mine": ("我的申请", "applications.submit_application", Q()),
    "team": ("团队申请", "applications.view_team", Q()),
    "cs": ("客服审核队列", "applications.review_cs", Q(status=Status.CS_REVIEW)),
    "lr": ("贷审审核队列", "applications.review_lr", Q(status__in=[Status.LR_REVIEW, Status.PENDING_PLAN])),
    "supervisor": ("主管队列（人工干预/仲裁）", "applications.supervise_review",
                   Q(manual_intervention=True) & ~Q(status__in=["completed", "lr_rejected", "withdrawn"])
                   | Q(status=Status.CS_REJECTED)),
}


def application_list_for_user(*, user) -> QuerySet:
    """Applications the user may see: customer managers their own, team leaders their team's, review
    roles all of 数银's; institutions none (they see cases only through dispatch)."""
    if user.organization is None or user.organization.is_institution:
        return Application.objects.none()
    return scope_queryset(Application.objects.all(), user=user, owner_field="cm")


def application_get_for_user(*, user, pk: int) -> Application:
    qs = application_list_for_user(user=user).select_related("member", "product", "region", "cm")
    return get_object_or_404(qs, pk=pk)


def queue_for_user(*, user, queue: str) -> QuerySet:
    _title, _perm, condition = QUEUES[queue]
    return (application_list_for_user(user=user).filter(condition)
            .select_related("member", "product", "region", "cm"))


def queue_counts(*, user) -> dict[str, int]:
    """The navigation badges: one COUNT per queue the user works (review roles have one or two). Each count is
    answered from the (status, id) index — a single aggregate with FILTERs would read every application."""
    wanted = {name: cond for name, (_t, perm, cond) in QUEUES.items() if name not in ("mine", "team") and user.has_perm(perm)}
    if not wanted:
        return {}
    base = application_list_for_user(user=user).order_by()
    return {name: base.filter(cond).count() for name, cond in wanted.items()}


def application_search(qs: QuerySet, text: str) -> QuerySet:
    text = (text or "").strip()
    if not text:
        return qs
    return qs.filter(Q(order_no=text.upper()) | Q(member__real_name__icontains=text) | Q(member__mobile=text))
