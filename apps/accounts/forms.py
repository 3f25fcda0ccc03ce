from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from apps.common.middleware import client_ip

from .models import LoginLog
from .permissions import user_areas


class AreaAuthenticationForm(AuthenticationForm):
    """Signs in only users whose organisation and roles belong to this area."""

    error_messages = {
        "invalid_login": _("账号或密码错误，请重新输入（注意区分大小写）。连续失败多次将锁定账号。"),
        "inactive": _("该账号已停用，请联系管理员。"),
        "wrong_area": _("该账号不能登录本区域，请从对应的登录入口登录。"),
    }

    def __init__(self, request=None, *args, area: str, **kwargs):
        self.area = area
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = _("账号")
        self.fields["password"].label = _("密码")

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if self.area not in user_areas(user):
            LoginLog.objects.create(
                user=user, username=user.get_username(), area=self.area, ip=client_ip(self.request),
                success=False, reason="登录区域不符",
            )
            raise forms.ValidationError(self.error_messages["wrong_area"], code="wrong_area")
