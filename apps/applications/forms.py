from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.common.files import sniff
from apps.common.forms import (AmountField, IntegerNumberField, ResidentIdField, SearchField, SmallModelChoiceField,
                               TypedDateField)
from apps.members.models import ClientType
from apps.products.models import Product
from apps.regions.forms import RegionCodeField
from apps.regions.models import Region

from .models import Status
from .visibility import SETTLEMENT_STEPS, sees_settlement_steps, status_choices, status_filter


class DistrictChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class ApplicationForm(forms.Form):
    product = forms.ModelChoiceField(label=_("贷款产品"), queryset=Product.objects.filter(is_active=True),
                                     empty_label=_("请选择"))
    amount = AmountField(label=_("申请金额（元）"), min_value=Decimal("1"),
                         error_messages={"min_value": _("申请金额至少 1 元。")})
    term_months = IntegerNumberField(label=_("期限（月）"), min_value=1, max_value=360,
                                     error_messages={"invalid": _("请输入整数月数。"),
                                                     "min_value": _("期限应在 1 至 360 个月之间。"),
                                                     "max_value": _("期限应在 1 至 360 个月之间。")})
    region_code = RegionCodeField(label=_("所在区县"), max_length=6,
                                  help_text=_("已按客户联系地址预选，请核对；依次选择省、市、区县"),
                                  error_messages={"required": _("请选择客户所在的省、市、区县。")})
    purpose = forms.CharField(label=_("贷款用途"), max_length=200)
    client_type = forms.ChoiceField(label=_("客户类型"), choices=ClientType.choices)
    consent = forms.BooleanField(label=_("客户已同意将其资料提供给接收本申请的合作机构"),
                                 error_messages={"required": _("请先取得客户授权并勾选。")})

    def clean_region_code(self):
        code = self.cleaned_data["region_code"].strip()
        region = Region.objects.filter(code=code).first()
        if region is None:
            raise forms.ValidationError(_("所选地区不存在，请重新选择省、市、区县。"))
        if region.level != Region.Level.DISTRICT:
            raise forms.ValidationError(_("请继续选择所在区县（已选：%(name)s）。") % {"name": region.name})
        if not region.is_active:
            current = region.current
            raise forms.ValidationError(_("%(old_name)s（%(old)s）已撤销，请改选 %(name)s（%(new)s）。") % {
                "old_name": region.name, "old": code, "new": current.code, "name": current.name})
        return region


class ProductConfirmForm(forms.Form):
    """确认贷款类型（产品）: the same product confirms it; another one changes it (a reason required)."""

    product = SmallModelChoiceField(label=_("贷款类型（产品）"), queryset=Product.objects.filter(is_active=True),
                                    empty_label=None, error_messages={"invalid_choice": _("请选择启用中的产品。")})
    reason = forms.CharField(label=_("说明（变更产品时必填）"), max_length=200, required=False)


class DocumentForm(forms.Form):
    name = forms.ChoiceField(label=_("资料名称"))
    file = forms.FileField(label=_("文件（PDF/JPG/PNG，10 MB 以内）"))

    def __init__(self, *args, checklist, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].choices = [(n, n) for n in checklist] + [("其他补充资料", _("其他补充资料"))]

    def clean_file(self):
        sniff(self.cleaned_data["file"])
        return self.cleaned_data["file"]


class QueueFilter(forms.Form):
    q = SearchField(label=_("单号/客户姓名/手机号"), required=False)
    status = forms.ChoiceField(label=_("状态"), required=False, choices=[("", _("全部"))] + list(Status.choices))
    product = SmallModelChoiceField(label=_("产品"), required=False, queryset=Product.objects.all(),
                                     empty_label=_("全部"))
    region = RegionCodeField(label=_("地区"), required=False, max_length=6, blank="全部")
    date_from = TypedDateField(label=_("提交开始"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = TypedDateField(label=_("提交结束"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, user, statuses=None, **kwargs):
        """``statuses``: the statuses the queue can hold; the status filter offers only those (None: all)."""
        super().__init__(*args, **kwargs)
        self.steps = sees_settlement_steps(user)
        choices = status_choices(steps=self.steps)
        if statuses is not None:
            choices = [(code, label) for code, label in choices
                       if code in statuses or (code == Status.SETTLING and not self.steps
                                               and statuses & set(SETTLEMENT_STEPS))]
        self.fields["status"].choices = [("", _("全部"))] + choices

    def narrows(self) -> bool:
        """Whether a filter is set (an invalid form filters nothing, see ``apply``)."""
        return self.is_bound and self.is_valid() and any(v not in (None, "") for v in self.cleaned_data.values())

    def apply(self, qs):
        from .selectors import application_search

        if not self.is_valid():
            return qs
        d = self.cleaned_data
        qs = application_search(qs, d.get("q"))
        if d.get("status"):
            qs = qs.filter(status_filter(d["status"], steps=self.steps))
        if d.get("product"):
            qs = qs.filter(product=d["product"])
        if d.get("region"):
            qs = qs.filter(region__code__startswith=d["region"].strip())
        if d.get("date_from"):
            qs = qs.filter(created_at__date__gte=d["date_from"])
        if d.get("date_to"):
            qs = qs.filter(created_at__date__lte=d["date_to"])
        return qs


class HandoverRequestForm(forms.Form):
    id_number = ResidentIdField(label=_("客户身份证号"), error_messages={"required": _("请填写客户的 18 位身份证号。")})
    reason = forms.CharField(label=_("申请理由"), max_length=300, widget=forms.Textarea(attrs={"rows": 2}),
                             error_messages={"required": _("请填写申请理由（如：客户要求改由您服务）。"),
                                             "max_length": _("最多 300 个字。")})


class HandoverDecideForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "approve"), ("decline", "decline")],
                                 error_messages={"required": _("请选择同意或拒绝。")})
    note = forms.CharField(label=_("审批意见"), max_length=300, required=False)
