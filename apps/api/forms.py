from django import forms
from django.utils.translation import gettext_lazy as _

from apps.accounts.permcodes import labels_for
from apps.common.forms import IntegerNumberField

from .services import RATE_MAX, RATE_MIN


class ApiKeyForm(forms.Form):
    name = forms.CharField(label=_("密钥名称"), max_length=50, error_messages={"required": _("请填写密钥名称。")},
                           widget=forms.TextInput(attrs={"placeholder": _("如：信贷系统对接")}))
    rate_per_minute = IntegerNumberField(
        label=_("每分钟请求上限"), min_value=RATE_MIN, max_value=RATE_MAX, initial=120,
        error_messages={"required": _("请填写每分钟请求上限。"), "invalid": _("请输入整数。"),
                        "min_value": _("每分钟请求上限至少为 1。"), "max_value": _("每分钟请求上限最多为 6000。")})
    permissions = forms.MultipleChoiceField(label=_("权限"), widget=forms.CheckboxSelectMultiple,
                                            error_messages={"required": _("请至少选择一项权限。")})

    def __init__(self, *args, grantable: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        names = labels_for(grantable)
        self.fields["permissions"].choices = [(c, f"{names.get(c, c)}（{c}）") for c in grantable]
