from django.db.models import Count, QuerySet
from django.shortcuts import get_object_or_404

from apps.accounts.selectors import scope_queryset
from apps.common import clock

from .models import Settlement

PLATFORM_CODES = ("settlement.confirm_amount", "settlement.confirm_client", "settlement.confirm_receipt",
                  "settlement.view_all_settlements")


def settlements_for_user(*, user) -> QuerySet:
    """Institutions see their own (by the case's unit and data scope); 数银's CM sees the settlements of
    the applications they may see; 跟单, 贷审 and 结算员 all of them."""
    qs = Settlement.objects.select_related("application__product", "application__member", "institution", "case")
    org = user.organization
    if org is None:
        return qs.none()
    if org.is_institution:
        qs = qs.filter(institution_id=org.root_id)
        return scope_queryset(qs, user=user, org_field="case__unit", owner_field="case__officer")
    if any(user.has_perm(code) for code in PLATFORM_CODES if code != "settlement.confirm_client"):
        return qs
    if user.has_perm("settlement.confirm_client"):
        return scope_queryset(qs, user=user, org_field="application__organization", owner_field="application__cm")
    return qs.none()


def settlement_get_for_user(*, user, pk: int) -> Settlement:
    return get_object_or_404(settlements_for_user(user=user), pk=pk)


def overdue_counts(institution_ids, *, now) -> dict[int, int]:
    """For the dispatch health check: settlements past their due date and not paid, per institution."""
    rows = (Settlement.objects.filter(institution_id__in=list(institution_ids), status=Settlement.Status.STATEMENT,
                                      due_date__lt=clock.local_date(now))
            .values("institution_id").annotate(n=Count("id")).values_list("institution_id", "n"))
    return dict(rows)
