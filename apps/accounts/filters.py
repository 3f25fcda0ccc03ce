import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from apps.common.forms import SearchFilter, TypedDateFilter
from apps.common.models import OperationLog

from .models import Area, LoginLog, Organization, User

ACTIVE_WIDGET = forms.Select(choices=[("", _("全部")), ("true", _("启用")), ("false", _("停用"))])


class UserFilter(django_filters.FilterSet):
    q = SearchFilter(label=_("账号/姓名/手机号"), method="search")
    is_active = django_filters.BooleanFilter(label=_("状态"), widget=ACTIVE_WIDGET)

    class Meta:
        model = User
        fields = ["q", "is_active"]

    def search(self, qs, name, value):
        return qs.filter(Q(username__icontains=value) | Q(real_name__icontains=value) | Q(mobile__contains=value))


class OrganizationFilter(django_filters.FilterSet):
    q = SearchFilter(label=_("名称/信用代码"), method="search")
    is_active = django_filters.BooleanFilter(label=_("状态"), widget=ACTIVE_WIDGET)

    class Meta:
        model = Organization
        fields = ["q", "is_active"]

    def search(self, qs, name, value):
        return qs.filter(Q(name__icontains=value) | Q(credit_code__icontains=value))


RESULT_WIDGET = forms.Select(choices=[("", _("全部")), ("true", _("成功")), ("false", _("失败"))])


def _choices(values):
    return [(v, v) for v in values]


class OperationLogFilter(django_filters.FilterSet):
    """操作日志 searched as a back office does: by operator, module, action, object, result, address and date."""

    username = django_filters.CharFilter(label=_("操作人账号"), lookup_expr="icontains")
    module = django_filters.ChoiceFilter(label=_("系统模块"), empty_label=_("全部"))
    action = django_filters.ChoiceFilter(label=_("操作类型"), empty_label=_("全部"))
    target = django_filters.CharFilter(label=_("操作对象"), lookup_expr="icontains")
    success = django_filters.BooleanFilter(label=_("结果"), widget=RESULT_WIDGET)
    ip = django_filters.CharFilter(label=_("操作地址"), lookup_expr="startswith")
    area = django_filters.ChoiceFilter(label=_("区域"), choices=Area.choices, empty_label=_("全部"))
    date_from = TypedDateFilter(label=_("开始日期"), field_name="created_at", lookup_expr="date__gte")
    date_to = TypedDateFilter(label=_("结束日期"), field_name="created_at", lookup_expr="date__lte")

    class Meta:
        model = OperationLog
        fields = ["username", "module", "action", "target", "success", "ip", "area", "date_from", "date_to"]

    def __init__(self, *args, **kwargs):
        from apps.common.oplog import ACTION_CHOICES, module_choices

        super().__init__(*args, **kwargs)
        self.filters["module"].extra["choices"] = _choices(module_choices())
        self.filters["action"].extra["choices"] = _choices(ACTION_CHOICES)


class LoginLogFilter(django_filters.FilterSet):
    username = django_filters.CharFilter(label=_("账号"), lookup_expr="icontains")
    area = django_filters.ChoiceFilter(label=_("登录入口"), choices=Area.choices, empty_label=_("全部"))
    success = django_filters.BooleanFilter(label=_("结果"), widget=RESULT_WIDGET)
    ip = django_filters.CharFilter(label=_("登录地址"), lookup_expr="startswith")
    date_from = TypedDateFilter(label=_("开始日期"), field_name="created_at", lookup_expr="date__gte")
    date_to = TypedDateFilter(label=_("结束日期"), field_name="created_at", lookup_expr="date__lte")

    class Meta:
        model = LoginLog
        fields = ["username", "area", "success", "ip", "date_from", "date_to"]
