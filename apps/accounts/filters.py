import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from apps.common.forms import SearchFilter, TypedDateFilter
from apps.common.models import OperationLog

from .models import LoginLog, Organization, User

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


class OperationLogFilter(django_filters.FilterSet):
    username = django_filters.CharFilter(label=_("账号"), lookup_expr="icontains")
    path = django_filters.CharFilter(label=_("路径"), lookup_expr="icontains")
    date_from = TypedDateFilter(label=_("开始日期"), field_name="created_at", lookup_expr="date__gte")
    date_to = TypedDateFilter(label=_("结束日期"), field_name="created_at", lookup_expr="date__lte")

    class Meta:
        model = OperationLog
        fields = ["username", "path", "date_from", "date_to"]


class LoginLogFilter(django_filters.FilterSet):
    username = django_filters.CharFilter(label=_("账号"), lookup_expr="icontains")
    success = django_filters.BooleanFilter(label=_("结果"), widget=forms.Select(choices=[("", _("全部")), ("true", _("成功")), ("false", _("失败"))]))
    date_from = TypedDateFilter(label=_("开始日期"), field_name="created_at", lookup_expr="date__gte")
    date_to = TypedDateFilter(label=_("结束日期"), field_name="created_at", lookup_expr="date__lte")

    class Meta:
        model = LoginLog
        fields = ["username", "success", "date_from", "date_to"]
