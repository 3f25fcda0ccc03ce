import django_filters
from django.utils.translation import gettext_lazy as _

from apps.common.forms import SearchFilter, TypedDateFilter

from .events import CHANNEL_LABELS, EVENT_CHOICES
from .models import Delivery


class DeliveryFilter(django_filters.FilterSet):
    channel = django_filters.ChoiceFilter(label=_("渠道"), choices=list(CHANNEL_LABELS.items()), empty_label=_("全部"))
    status = django_filters.ChoiceFilter(label=_("状态"), choices=Delivery.Status.choices, empty_label=_("全部"))
    event = django_filters.ChoiceFilter(label=_("事件"), choices=EVENT_CHOICES, empty_label=_("全部"))
    subject = SearchFilter(label=_("标题"), lookup_expr="icontains")
    user = SearchFilter(label=_("接收人账号"), field_name="user__username", lookup_expr="icontains")
    date_from = TypedDateFilter(label=_("开始日期"), field_name="created_at", lookup_expr="date__gte")
    date_to = TypedDateFilter(label=_("结束日期"), field_name="created_at", lookup_expr="date__lte")

    class Meta:
        model = Delivery
        fields = ["channel", "status", "event", "subject", "user", "date_from", "date_to"]
