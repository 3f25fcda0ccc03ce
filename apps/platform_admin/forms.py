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
