import time

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from apps.common.middleware import client_ip

from .middleware import EPOCH_KEY, LOGIN_AT_KEY
from .models import LoginLog


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
