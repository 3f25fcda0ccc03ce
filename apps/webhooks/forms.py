from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Event


class EndpointForm(forms.Form):
    url = forms.CharField(label=_("推送地址"), max_length=500, error_messages={"required": _("请填写推送地址。")},
                          widget=forms.TextInput(attrs={"placeholder": "https://example.com/shuyin/webhook"}),
                          help_text=_("必须是 HTTPS 地址；收到推送后 10 秒内返回 2xx 表示成功。"))
    description = forms.CharField(label=_("说明"), max_length=100, required=False)
    events = forms.MultipleChoiceField(label=_("订阅事件"), choices=Event.choices, widget=forms.CheckboxSelectMultiple,
                                       error_messages={"required": _("请至少选择一个要推送的事件。")})
    is_active = forms.BooleanField(label=_("启用"), required=False, initial=True)
