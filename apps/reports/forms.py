from django import forms

from apps.common.forms import IntegerNumberField, SearchField, SmallModelChoiceField, TypedDateField
from apps.products.models import Product


class ReportFilterForm(forms.Form):
    date_from = TypedDateField(label="开始日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = TypedDateField(label="结束日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    product = SmallModelChoiceField(label="产品", queryset=Product.objects.all(), required=False,
                                     empty_label="全部产品")
    status = forms.ChoiceField(label="状态", required=False)
    cm = IntegerNumberField(label="客户经理", required=False, widget=forms.Select)
    order_no = SearchField(label="单号", required=False, max_length=20)

    def __init__(self, *args, report, user, cms=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = report.status_choices
        if report.area == "ops":  # one 结算中 for those who may not see the settlement steps
            from apps.applications.visibility import sees_settlement_steps, status_choices

            choices = status_choices(steps=sees_settlement_steps(user))
        self.fields["status"].choices = [("", "全部状态"), *choices]
        # 数银: its customer managers; an institution: its own officers who handle the cases (客户经理)
        self.fields["cm"].widget.choices = [("", "全部客户经理"), *cms]
        if report.area == "inst":
            self.fields["cm"].help_text = "本机构经办该案件的人员"

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise forms.ValidationError("开始日期不能晚于结束日期。")
        return data

    def params(self) -> dict:
        """The filter values as JSON-safe params (stored on export jobs)."""
        out = {}
        for name, value in self.cleaned_data.items():
            if value in (None, ""):
                continue
            out[name] = value.isoformat() if hasattr(value, "isoformat") else getattr(value, "pk", value)
        return out
