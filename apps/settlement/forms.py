"""Forms of the settlement pages. They parse and label the input; apps.settlement.services checks every rule
(status, amounts, who may act) and the views show its messages."""
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import Organization
from apps.common import clock
from apps.common.files import sniff
from apps.common.forms import AmountField, AsciiCharField, DecimalNumberField, SearchField, TypedDateField
from apps.products.models import Product

from .models import Settlement

REQUIRED = {"required": _("此项为必填项。")}


class ConfirmAmountForm(forms.Form):
    amount = AmountField(label=_("确认放款金额（元）"),
                         error_messages={**REQUIRED, "invalid": _("请输入正确的金额，如 50000.00。")})
    note = forms.CharField(label=_("金额说明"), max_length=300, required=False,
                           help_text=_("与机构录入的放款金额不一致时必填。"))


def _money(label, **kw):
    return AmountField(label=label, max_digits=14, decimal_places=2, min_value=Decimal("0"),
                              error_messages={**REQUIRED, "min_value": _("金额不能为负数。"),
                                              "invalid": _("请输入正确的金额，如 500.00。"),
                                              "max_decimal_places": _("金额最多两位小数（精确到分）。")}, **kw)


class CommissionAdjustForm(forms.Form):
    commission = _money(_("调整后机构佣金（元）"))
    service_fee = _money(_("调整后客户服务费（元）"))
    reason = forms.CharField(label=_("调整原因"), max_length=300, error_messages={"required": _("请填写调整原因。")},
                             widget=forms.TextInput(attrs={"placeholder": _("如：机构与数银另有书面约定，附件已存档")}))


class CommissionDecisionForm(forms.Form):
    note = forms.CharField(label=_("复核意见"), max_length=300, required=False,
                           help_text=_("驳回时必填。"))


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


def _institutions():
    return Organization.objects.filter(kind=Organization.Kind.INSTITUTION, parent__isnull=True).order_by("name")


class AgreementFilter(forms.Form):
    institution = forms.ModelChoiceField(label=_("机构"), required=False, empty_label=_("全部"),
                                         queryset=_institutions())
    product = forms.ModelChoiceField(label=_("产品"), required=False, empty_label=_("全部"),
                                     queryset=Product.objects.order_by("name"))

    def apply(self, qs):
        if not self.is_valid():
            return qs
        for name in ("institution", "product"):
            if self.cleaned_data.get(name):
                qs = qs.filter(**{name: self.cleaned_data[name]})
        return qs


class AgreementForm(forms.Form):
    """A new version of an institution's commission terms for a product. The rate is typed in percent."""

    BASES = [("rate", _("按放款金额比例")), ("fixed", _("每笔固定佣金"))]
    institution = forms.ModelChoiceField(label=_("机构"), queryset=_institutions(), empty_label=_("请选择"),
                                         error_messages=REQUIRED)
    product = forms.ModelChoiceField(label=_("产品"), queryset=Product.objects.order_by("name"),
                                     empty_label=_("请选择"), error_messages=REQUIRED)
    basis = forms.ChoiceField(label=_("计费方式"), choices=BASES, initial="rate", error_messages=REQUIRED)
    rate_percent = DecimalNumberField(label=_("佣金费率（%）"), required=False, max_digits=5, decimal_places=2,
                                      min_value=Decimal("0.01"), max_value=Decimal("100"),
                                      help_text=_("如 1.2 表示放款金额的 1.2%"),
                                      error_messages={"min_value": _("费率必须大于 0。"),
                                                      "max_value": _("费率不能超过 100%%。"),
                                                      "invalid": _("请输入正确的费率，如 1.2。"),
                                                      "max_decimal_places": _("费率最多两位小数，如 1.25。")})
    fixed_amount = _money(_("固定佣金（元/笔）"), required=False)
    minimum = _money(_("最低佣金（元）"), initial=Decimal("0.00"))
    service_fee = _money(_("客户服务费（元/笔）"), required=False, help_text=_("留空则按产品默认的客户服务费"))
    valid_from = TypedDateField(label=_("生效日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                                 error_messages={**REQUIRED, "invalid": _("请输入正确的日期。")})
    valid_to = TypedDateField(label=_("失效日期"), required=False,
                               widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                               help_text=_("留空表示长期有效；新协议生效时自动终止上一版长期协议"),
                               error_messages={"invalid": _("请输入正确的日期。")})
    note = forms.CharField(label=_("协议说明"), max_length=200, required=False,
                           widget=forms.TextInput(attrs={"placeholder": _("如：2027 年度合作协议（合同号）")}))

    def clean(self):
        d = super().clean()
        if d.get("basis") == "rate" and d.get("rate_percent") is None:
            self.add_error("rate_percent", _("按比例计费时请填写佣金费率。"))
        if d.get("basis") == "fixed" and not d.get("fixed_amount"):
            self.add_error("fixed_amount", _("按固定佣金计费时请填写大于 0 的固定佣金。"))
        return d

    def terms(self) -> dict:
        d = self.cleaned_data
        rate = d["rate_percent"] / 100 if d["basis"] == "rate" else None  # exact: two places of percent
        return {"institution": d["institution"], "product": d["product"], "valid_from": d["valid_from"],
                "valid_to": d.get("valid_to"), "rate": rate,
                "fixed_amount": d["fixed_amount"] if d["basis"] == "fixed" else None,
                "minimum": d.get("minimum") or Decimal("0.00"), "service_fee": d.get("service_fee"),
                "note": d.get("note", "")}


class AgreementEndForm(forms.Form):
    valid_to = TypedDateField(label=_("最后有效日"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                               error_messages={**REQUIRED, "invalid": _("请输入正确的日期。")})
    reason = forms.CharField(label=_("终止原因"), max_length=200, error_messages={"required": _("请填写终止原因。")})
