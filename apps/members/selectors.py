from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from apps.accounts.selectors import scope_queryset

from .models import Member


def member_list_for_user(*, user) -> QuerySet:
    """数银 staff see members by data scope: a customer manager the clients they registered, a team leader
    the team's, review roles all."""
    return scope_queryset(Member.objects.select_related("registered_by"), user=user, owner_field="registered_by")


def member_get_for_user(*, user, pk: int) -> Member:
    return get_object_or_404(member_list_for_user(user=user), pk=pk)


def member_search(qs: QuerySet, text: str) -> QuerySet:
    text = text.strip()
    if not text:
        return qs
    return qs.filter(Q(real_name__icontains=text) | Q(mobile=text) | Q(id_number=text.upper()))
