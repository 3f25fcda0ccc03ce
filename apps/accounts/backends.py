from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission

from . import authz_cache
from .models import DataScope


def _rights_from_db(user) -> dict:
    backend = RoleBackend()
    perms = {*backend.get_user_permissions(user), *backend.get_group_permissions(user)}
    if user.is_superuser:
        scope = DataScope.ALL
    else:
        scope = max(user.roles.filter(is_active=True).values_list("data_scope", flat=True), default=DataScope.SELF)
    return {"perms": perms, "scope": scope}


def user_rights(user) -> dict:
    """The user's permission codes and widest data scope (see ``authz_cache``: cached per generation)."""
    return authz_cache.user_rights(user, lambda: _rights_from_db(user))


class RoleBackend(ModelBackend):
    """Permission codes come from the user's active roles (not Django groups).

    A user of a disabled organisation cannot sign in and has no permissions. The codes are read through
    ``authz_cache``; whether the user and its organisation are active is checked on the fresh rows of the
    request (loaded together by ``get_user``)."""

    def get_user(self, user_id):
        model = get_user_model()
        try:
            user = model._default_manager.select_related("organization").get(pk=user_id)
        except model.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None

    def user_can_authenticate(self, user):
        if not super().user_can_authenticate(user):
            return False
        org = getattr(user, "organization", None)
        return user.is_superuser or (org is not None and org.is_active)

    def _get_group_permissions(self, user_obj):
        return Permission.objects.filter(roles__users=user_obj, roles__is_active=True)

    def get_all_permissions(self, user_obj, obj=None):
        if user_obj.is_anonymous or obj is not None or not self.user_can_authenticate(user_obj):
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            user_obj._perm_cache = user_rights(user_obj)["perms"]
        return user_obj._perm_cache
