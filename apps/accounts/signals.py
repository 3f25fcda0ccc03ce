import time

from django.contrib.auth.models import Permission
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from apps.common.middleware import client_ip

from . import authz_cache
from .middleware import EPOCH_KEY, LOGIN_AT_KEY
from .models import LoginLog, Menu, PermissionCode, Role, User


@receiver(user_logged_in, dispatch_uid="accounts_login_log")
def on_login(sender, request, user, **kwargs):
    if request is None:
        return
    request.session[LOGIN_AT_KEY] = time.time()
    request.session[EPOCH_KEY] = user.session_epoch
    ip = client_ip(request)
    type(user).objects.filter(pk=user.pk).update(last_login_ip=ip)
    LoginLog.objects.create(
        user=user, username=user.get_username(), area=getattr(request, "area", ""), ip=ip,
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:300], success=True,
    )


@receiver(user_login_failed, dispatch_uid="accounts_login_failed_log")
def on_login_failed(sender, credentials, request=None, **kwargs):
    if request is None:
        return
    LoginLog.objects.create(
        username=str(credentials.get("username", ""))[:150], area=getattr(request, "area", ""),
        ip=client_ip(request), user_agent=request.META.get("HTTP_USER_AGENT", "")[:300], success=False,
        reason=kwargs.get("reason", "")[:100] if isinstance(kwargs.get("reason"), str) else "账号或密码错误",
    )


def _rights_changed(action: str = "post_", **kwargs):
    """Roles, their codes, a user's roles or the menus changed: every cached right and menu is stale. Moved on
    now (so this transaction's own later reads see it) and again after commit (so no request that read the old
    rows in between keeps them under the new generation)."""
    if not action.startswith("post_"):  # m2m_changed: once, after the rows changed
        return
    authz_cache.bump()
    transaction.on_commit(authz_cache.bump)


for _model in (Role, Menu, Permission, PermissionCode):
    post_save.connect(_rights_changed, sender=_model, dispatch_uid=f"authz_save_{_model.__name__}")
    post_delete.connect(_rights_changed, sender=_model, dispatch_uid=f"authz_delete_{_model.__name__}")
for _through in (Role.permissions.through, User.roles.through, User.user_permissions.through):
    m2m_changed.connect(_rights_changed, sender=_through, dispatch_uid=f"authz_m2m_{_through.__name__}")
# (is_superuser is part of a cached entry's stamp; active flags are read fresh on every request)
