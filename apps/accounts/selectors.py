"""Reads of tenant data go through these helpers: they scope by organisation and data scope
first, so another tenant's object is simply not found (404)."""
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from .models import DataScope, Organization, User


def user_data_scope(user) -> int:
    """The widest data scope among the user's active roles (``backends.user_rights``: cached)."""
    from .backends import user_rights

    return user_rights(user)["scope"]


def organization_scope_q(user, *, field: str = "organization") -> Q:
    """A Q over ``<field>`` limiting rows to organisations this user may see.

    * 数银 user with scope ALL: everything; institution user with ALL: its whole institution tree.
    * UNIT_AND_BELOW: own unit and its descendants; UNIT and SELF: own unit only
      (SELF is narrowed further by the owner field, see ``scope_queryset``)."""
    org = user.organization
    if org is None:
        return Q() if user.is_superuser else Q(pk__in=[])
    scope = user_data_scope(user)
    prefix = f"{field}__" if field else ""
    if scope == DataScope.ALL:
        if org.kind == Organization.Kind.PLATFORM:
            return Q()
        return Q(**{f"{prefix}path__startswith": f"/{org.root_id}/"})
    if scope == DataScope.UNIT_AND_BELOW:
        return Q(**{f"{prefix}path__startswith": org.path})
    return Q(**{field or "pk": org.pk})


def scope_queryset(qs: QuerySet, *, user, org_field: str = "organization", owner_field: str | None = None) -> QuerySet:
    """Limit ``qs`` to what ``user`` may see. With scope SELF and an ``owner_field`` only the
    user's own rows remain."""
    qs = qs.filter(organization_scope_q(user, field=org_field))
    if owner_field and user_data_scope(user) == DataScope.SELF and not user.is_superuser:
        qs = qs.filter(**{owner_field: user})
    return qs


def organization_list_for_user(*, user) -> QuerySet:
    return scope_queryset(Organization.objects.all(), user=user, org_field="")


def organization_get_for_user(*, user, pk: int) -> Organization:
    return get_object_or_404(organization_list_for_user(user=user), pk=pk)


def user_list_for_user(*, user) -> QuerySet:
    qs = User.objects.select_related("organization").prefetch_related("roles")
    qs = scope_queryset(qs, user=user)
    if user_data_scope(user) == DataScope.SELF and not user.is_superuser:
        qs = qs.filter(pk=user.pk)
    return qs


def user_get_for_user(*, user, pk: int) -> User:
    return get_object_or_404(user_list_for_user(user=user), pk=pk)


def institution_list() -> QuerySet:
    return Organization.objects.filter(kind=Organization.Kind.INSTITUTION).select_related("region", "parent")


def role_list_for_user(*, user) -> QuerySet:
    """The roles this administrator manages: its institution's, or 数银's own."""
    from .models import Role

    org = user.organization
    if org is None:
        return Role.objects.none()
    qs = Role.objects.filter(organization_id=org.root_id) if org.is_institution else Role.objects.filter(
        organization__isnull=True)
    return qs.prefetch_related("permissions__content_type")


def role_get_for_user(*, user, pk: int):
    return get_object_or_404(role_list_for_user(user=user), pk=pk)
