from django import forms
from django.utils.translation import gettext_lazy as _

from apps.common.forms import typed_formfield

from .models import Product


class ProductForm(forms.ModelForm):
    checklist_text = forms.CharField(label=_("资料清单"), widget=forms.Textarea(attrs={"rows": 5}), required=False,
                                     help_text=_("每行一项，如：身份证"))

    class Meta:
        model = Product
        formfield_callback = typed_formfield
        fields = ["code", "name", "category", "description", "min_amount", "max_amount", "hold_amount",
                  "commission_rate", "commission_min", "service_fee", "is_active", "sort_order"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["code"].disabled = True
            self.fields["checklist_text"].initial = "\n".join(self.instance.checklist)

    def clean(self):
        data = super().clean()
        lo, hi = data.get("min_amount"), data.get("max_amount")
        if lo is not None and hi is not None and hi < lo:
            self.add_error("max_amount", _("最高金额不能低于最低金额。"))
        return data

    def save(self, commit=True):
        self.instance.checklist = [line.strip() for line in self.cleaned_data["checklist_text"].splitlines()
                                   if line.strip()]
        return super().save(commit)
