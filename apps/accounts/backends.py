from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission


class RoleBackend(ModelBackend):
    """Permission codes come from the user's active roles (not Django groups).

    A user of a disabled organisation cannot sign in and has no permissions."""

    def user_can_authenticate(self, user):
        if not super().user_can_authenticate(user):
            return False
        org = getattr(user, "organization", None)
        return user.is_superuser or (org is not None and org.is_active)

    def _get_group_permissions(self, user_obj):
        return Permission.objects.filter(roles__users=user_obj, roles__is_active=True)

    def get_all_permissions(self, user_obj, obj=None):
        if not self.user_can_authenticate(user_obj) and not user_obj.is_anonymous:
            return set()
        return super().get_all_permissions(user_obj, obj)
