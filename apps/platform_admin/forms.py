from django import forms
from django.utils.translation import gettext_lazy as _


class ParamForm(forms.Form):
    value = forms.CharField(label=_("新值"), max_length=500)
    reason = forms.CharField(label=_("修改原因"), max_length=200)

    def __init__(self, *args, param, **kwargs):
        super().__init__(*args, **kwargs)
        self.param = param
        if param.kind == "bool":
            self.fields["value"] = forms.ChoiceField(label=_("新值"), choices=[("true", _("是")), ("false", _("否"))])
        hint = []
        if param.minimum is not None:
            hint.append(f"最小 {param.minimum}")
        if param.maximum is not None:
            hint.append(f"最大 {param.maximum}")
        if param.unit:
            hint.append(f"单位：{param.unit}")
        self.fields["value"].help_text = "；".join(hint)

    def clean_value(self):
        return self.param.parse(self.cleaned_data["value"])


class BroadcastForm(forms.Form):
    title = forms.CharField(label=_("标题"), max_length=200)
    body = forms.CharField(label=_("内容"), widget=forms.Textarea(attrs={"rows": 6}))
    institutions = forms.ModelMultipleChoiceField(
        label=_("接收机构"), required=False, widget=forms.SelectMultiple(attrs={"size": 8}),
        queryset=None, help_text=_("不选表示发送给全部合作机构"))

    def __init__(self, *args, **kwargs):
        from apps.accounts.models import Organization

        super().__init__(*args, **kwargs)
        self.fields["institutions"].queryset = Organization.objects.filter(
            kind=Organization.Kind.INSTITUTION, parent__isnull=True, is_active=True).order_by("name")
