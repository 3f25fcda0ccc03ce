import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Message


class MessageFilter(django_filters.FilterSet):
    title = django_filters.CharFilter(label=_("标题"), lookup_expr="icontains")
    category = django_filters.ChoiceFilter(label=_("类别"), choices=Message.Category.choices, empty_label=_("全部"))
    is_read = django_filters.BooleanFilter(label=_("状态"), widget=forms.Select(choices=[("", _("全部")), ("false", _("未读")), ("true", _("已读"))]))

    class Meta:
        model = Message
        fields = ["title", "category", "is_read"]
