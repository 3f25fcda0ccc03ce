"""Forms of the institution's case work. They only parse and label the input; every rule (who may act, in
which status, which amounts and dates) is checked by apps.cases.services, whose messages the views show."""
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import Organization, User
from apps.accounts.selectors import organization_scope_q
from apps.applications.models import Application
from apps.applications.selectors import application_search
from apps.common import clock
from apps.common.forms import (AmountField, DecimalNumberField, IntegerNumberField, SearchField, TypedDateField,
                               TypedDateTimeField)

REQUIRED = {"required": _("此项为必填项。")}


class OfficerChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.display_name}（{obj.organization.name}）"


class AllocateForm(forms.Form):
    officer = OfficerChoice(label=_("分配给业务员"), required=False, queryset=User.objects.none(),
                            empty_label=_("请选择"),
                            error_messages={"invalid_choice": _("请选择本机构有办理权限的在职业务员。")})
    unit = forms.ModelChoiceField(label=_("或分配给下级机构"), required=False, queryset=Organization.objects.none(),
                                  empty_label=_("请选择"), help_text=_("分配给下级机构后，由该机构的管理员继续分配业务员。"),
                                  error_messages={"invalid_choice": _("请选择本机构或下级机构。")})

    def __init__(self, *args, user, **kwargs):
        """The choices are the people and units this allocator may see: the whole institution tree for its
        administrator, a sub-institution and below for that sub-institution's allocator."""
        super().__init__(*args, **kwargs)
        root = f"/{user.organization.root_id}/"
        self.fields["officer"].queryset = (
            User.objects.filter(organization_scope_q(user), is_active=True, organization__path__startswith=root)
            .filter(Q(roles__is_active=True, roles__permissions__codename="handle_case",
                      roles__permissions__content_type__app_label="cases"))
            .select_related("organization").distinct().order_by("organization__path", "real_name", "pk"))
        self.fields["unit"].queryset = Organization.objects.filter(
            organization_scope_q(user, field=""), is_active=True, path__startswith=root).order_by("path")

    def clean(self):
        data = super().clean()
        if not self.errors and not data.get("officer") and not data.get("unit"):
            raise forms.ValidationError(_("请选择业务员或下级机构。"))
        return data


class ReviewForm(forms.Form):
    note = forms.CharField(label=_("审核意见"), max_length=300, required=False,
                           widget=forms.TextInput(attrs={"placeholder": _("可选，如：资料齐全，开始审核")}))


class BookSigningForm(forms.Form):
    at = TypedDateTimeField(label=_("面签时间"), error_messages={**REQUIRED, "invalid": _("请选择正确的面签日期和时间。")},
                             widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))
    place = forms.CharField(label=_("面签地点"), max_length=200, error_messages=REQUIRED,
                            widget=forms.TextInput(attrs={"placeholder": _("如：南山区科技园营业部 3 楼")}))


class RecordSigningForm(forms.Form):
    note = forms.CharField(label=_("面签结果"), max_length=300, error_messages=REQUIRED,
                           widget=forms.TextInput(attrs={"placeholder": _("如：客户已签署借款合同")}))


class DisburseForm(forms.Form):
    amount = AmountField(label=_("放款金额（元）"),
                         error_messages={**REQUIRED, "min_value": _("放款金额必须大于 0。"),
                                         "invalid": _("请输入正确的金额，如 50000.00。")})
    disbursed_on = TypedDateField(label=_("放款日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                                   error_messages={**REQUIRED, "invalid": _("请选择正确的放款日期。")})
    contract_no = forms.CharField(label=_("合同编号"), max_length=50, error_messages=REQUIRED)
    term_months = IntegerNumberField(label=_("贷款期限（月）"), min_value=1, max_value=360,
                                     error_messages={**REQUIRED, "invalid": _("请输入整数月数。"),
                                                     "min_value": _("贷款期限应在 1 至 360 个月之间。"),
                                                     "max_value": _("贷款期限应在 1 至 360 个月之间。")})
    annual_rate = DecimalNumberField(label=_("年利率（%）"), max_digits=6, decimal_places=3,
                                     error_messages={**REQUIRED, "invalid": _("请输入正确的年利率，如 6.5。"),
                                                     "max_decimal_places": _("年利率最多三位小数。")})

    @classmethod
    def for_case(cls, case):
        """Prefilled with what the client applied for and today's date."""
        app = case.application
        return cls(initial={"amount": app.amount, "term_months": app.term_months,
                            "disbursed_on": clock.today()})


class CannotLendForm(forms.Form):
    reason = forms.CharField(label=_("无法放款原因"), max_length=300, error_messages=REQUIRED,
                             widget=forms.Textarea(attrs={"rows": 2, "placeholder": _("如：客户征信不符合本机构要求")}))


class CaseFilter(forms.Form):
    status = forms.CharField(required=False, widget=forms.HiddenInput)  # the status tab, kept by a search
    q = SearchField(label=_("单号/客户姓名/手机号"), required=False)
    date_from = TypedDateField(label=_("选定开始"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = TypedDateField(label=_("选定结束"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def apply(self, qs):
        if not self.is_valid():
            return qs
        d = self.cleaned_data
        if d.get("q"):
            qs = qs.filter(application__in=application_search(Application.objects.all(), d["q"]))
        if d.get("date_from"):
            qs = qs.filter(created_at__date__gte=d["date_from"])
        if d.get("date_to"):
            qs = qs.filter(created_at__date__lte=d["date_to"])
        return qs
