"""Forms of the settlement pages. They parse and label the input; apps.settlement.services checks every rule
(status, amounts, who may act) and the views show its messages."""
from django import forms
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import Organization
from apps.common import clock
from apps.common.files import sniff
from apps.common.forms import AmountField, AsciiCharField, SearchField

from .models import Settlement

REQUIRED = {"required": _("此项为必填项。")}


class ConfirmAmountForm(forms.Form):
    amount = AmountField(label=_("确认放款金额（元）"),
                         error_messages={**REQUIRED, "invalid": _("请输入正确的金额，如 50000.00。")})
    note = forms.CharField(label=_("金额说明"), max_length=300, required=False,
                           help_text=_("与机构录入的放款金额不一致时必填。"))


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("退回原因"), max_length=300, error_messages=REQUIRED,
                             widget=forms.TextInput(attrs={"placeholder": _("如：凭证金额与应付金额不符")}))


class OfflinePaymentForm(forms.Form):
    bank_reference = AsciiCharField(label=_("银行流水号"), max_length=64, error_messages=REQUIRED)
    voucher = forms.FileField(label=_("付款凭证（PDF/JPG/PNG，10 MB 以内）"),
                              error_messages={"required": _("请上传付款凭证。")})

    def clean_voucher(self):
        upload = self.cleaned_data["voucher"]
        sniff(upload)
        return upload


STARS = [(n, "★" * n + "☆" * (5 - n)) for n in range(5, 0, -1)]


class RatingForm(forms.Form):
    stars = forms.TypedChoiceField(label=_("评价星级"), choices=STARS, coerce=int, widget=forms.RadioSelect,
                                   error_messages={"required": _("请选择 1 至 5 星。"),
                                                   "invalid_choice": _("请选择 1 至 5 星。")})
    comment = forms.CharField(label=_("评价内容"), max_length=300, required=False,
                              widget=forms.Textarea(attrs={"rows": 2, "placeholder": _("可选，如：沟通顺畅、放款及时")}))


class FollowUpForm(forms.Form):
    note = forms.CharField(label=_("联系记录"), max_length=300, error_messages={"required": _("请填写联系记录。")})


class MonthlyForm(forms.Form):
    year = forms.TypedChoiceField(label=_("年份"), coerce=int)
    month = forms.TypedChoiceField(label=_("月份"), coerce=int, choices=[(m, f"{m} 月") for m in range(1, 13)],
                                   error_messages={"invalid_choice": _("请选择 1 至 12 月。")})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        this_year = clock.now().year
        self.fields["year"].choices = [(y, f"{y} 年") for y in range(this_year, this_year - 5, -1)]
        self.fields["year"].error_messages["invalid_choice"] = _("请选择近五年内的年份。")


class SettlementFilter(forms.Form):
    status = forms.CharField(required=False, widget=forms.HiddenInput)  # the status tab, kept by a search
    q = SearchField(label=_("结算单号/贷款单号"), required=False)
    institution = forms.ModelChoiceField(label=_("机构"), required=False, empty_label=_("全部"),
                                         queryset=Organization.objects.filter(
                                             kind=Organization.Kind.INSTITUTION, parent__isnull=True).order_by("name"))
    overdue = forms.BooleanField(label=_("只看逾期未付"), required=False)

    def __init__(self, *args, show_institution: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not show_institution:
            self.fields.pop("institution")

    def apply(self, qs):
        if not self.is_valid():
            return qs
        d = self.cleaned_data
        text = (d.get("q") or "").strip().upper()
        if text:
            number = text[2:] if text.startswith("JS") else ""
            qs = qs.filter(pk=int(number)) if number.isdigit() else qs.filter(application__order_no=text)
        if d.get("institution"):
            qs = qs.filter(institution=d["institution"])
        if d.get("overdue"):
            qs = qs.filter(status=Settlement.Status.STATEMENT, due_date__lt=clock.today())
        return qs
