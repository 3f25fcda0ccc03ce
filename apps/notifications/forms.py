from django import forms
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import Organization
from apps.common.forms import SmallModelChoiceField

from .events import EVENTS, PERSONAL_CHANNELS, ROBOT_EVENT_CHOICES, ROBOT_KINDS

GRID_CHOICES = [(f"{k.code}:{c}", f"{k.label}·{label}") for k in EVENTS for c, label in PERSONAL_CHANNELS]


class ChannelGridForm(forms.Form):
    """The kinds × channels grid of 通知设置 and 通知默认设置: the ticked cells."""

    selected = forms.MultipleChoiceField(label=_("接收的通知"), choices=GRID_CHOICES, required=False,
                                         widget=forms.CheckboxSelectMultiple)

    def pairs(self) -> set[tuple[str, str]]:
        return {tuple(v.split(":", 1)) for v in self.cleaned_data["selected"]}


class RobotForm(forms.Form):
    kind = forms.ChoiceField(label=_("类型"), choices=ROBOT_KINDS)
    name = forms.CharField(label=_("群名称"), max_length=50)
    webhook_url = forms.URLField(label=_("Webhook 地址"), max_length=500, assume_scheme="https",
                                 help_text=_("在群设置 → 群机器人 → 添加机器人后复制的地址"))
    secret = forms.CharField(label=_("加签密钥（钉钉）"), max_length=100, required=False,
                             widget=forms.PasswordInput(render_value=False),
                             help_text=_("钉钉机器人安全设置选“加签”时填写（SEC 开头）；修改时留空表示不变"))
    events = forms.MultipleChoiceField(label=_("推送的事件"), choices=ROBOT_EVENT_CHOICES,
                                       widget=forms.CheckboxSelectMultiple)
    is_active = forms.BooleanField(label=_("启用"), required=False, initial=True)


class PlatformRobotForm(RobotForm):
    """数银's own robots belong to one of its teams (or 数银 as a whole)."""

    organization = SmallModelChoiceField(label=_("所属团队"), queryset=Organization.objects.none(), empty_label=None)
    field_order = ["organization"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = Organization.objects.filter(
            kind=Organization.Kind.PLATFORM, is_active=True).order_by("path")
