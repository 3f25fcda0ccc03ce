import uuid

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from apps.common.files import sniff
from apps.common.forms import AmountField, AsciiCharField, TypedDateFilter

from .models import Account, JournalEntry, JournalLine

K = Account.Kind


class IdempotentForm(forms.Form):
    """Money forms carry a one-time key: a double click or a replayed POST moves money once."""

    idem = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("idem", uuid.uuid4().hex)
        super().__init__(*args, **kwargs)

    def key(self, user) -> str:
        return f"form:{user.pk}:{self.cleaned_data['idem']}"


DIRECTIONS = [
    ("cash>margin", _("现金账户 → 保证金账户")),
    ("margin>cash", _("保证金账户 → 现金账户（不超过可用头寸）")),
    ("cash>risk", _("现金账户 → 风险保证金")),
]


class TransferForm(IdempotentForm):
    direction = forms.ChoiceField(label=_("划转方向"), choices=DIRECTIONS)
    amount = AmountField(label=_("金额（元）"))

    def accounts(self):
        source, target = self.cleaned_data["direction"].split(">")
        return source, target


class WithdrawalForm(forms.Form):
    amount = AmountField(label=_("转回现金金额（元）"))
    reason = forms.CharField(label=_("申请原因"), max_length=200)


class OfflineRechargeForm(forms.Form):
    amount = AmountField(label=_("转账金额（元）"))
    bank_reference = AsciiCharField(label=_("银行流水号"), max_length=64)
    voucher = forms.FileField(label=_("转账凭证（PDF/JPG/PNG，10 MB 以内）"))

    def clean_voucher(self):
        upload = self.cleaned_data["voucher"]
        sniff(upload)
        return upload


class OnlineRechargeForm(forms.Form):
    amount = AmountField(label=_("充值金额（元）"))
    provider = forms.ChoiceField(label=_("支付方式"), widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
                                 required=False,
                                 error_messages={"invalid_choice": _("请选择已开通的支付方式。")})

    def __init__(self, *args, providers=(), **kwargs):
        """``providers``: the enabled provider classes (apps/positions/gateway)."""
        super().__init__(*args, **kwargs)
        self.fields["provider"].choices = [(p.name, p.label) for p in providers]
        if providers:
            self.fields["provider"].initial = providers[0].name

    def clean_provider(self):
        """Not chosen (a single provider offered, or an older page): the first enabled one."""
        return self.cleaned_data["provider"] or self.fields["provider"].initial


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("原因"), max_length=200, required=False)


class AdjustmentForm(forms.Form):
    institution = forms.ModelChoiceField(label=_("机构"), queryset=None, empty_label=_("请选择"))
    account_kind = forms.ChoiceField(label=_("账户"), choices=[(k.value, k.label) for k in Account.INSTITUTION_KINDS])
    amount = AmountField(label=_("调整金额（元，负数为调减）"), min_value=None)
    reason = forms.CharField(label=_("调账原因"), max_length=200)

    def __init__(self, *args, **kwargs):
        from apps.accounts.models import Organization

        super().__init__(*args, **kwargs)
        self.fields["institution"].queryset = Organization.objects.filter(
            kind="institution", parent__isnull=True).order_by("name")

    def clean_amount(self):
        if self.cleaned_data["amount"] == 0:
            raise forms.ValidationError(_("调整金额不能为 0。"))
        return self.cleaned_data["amount"]


class JournalFilter(django_filters.FilterSet):
    account = django_filters.ChoiceFilter(label=_("账户"), field_name="account__kind", empty_label=_("全部"),
                                          choices=[(k.value, k.label) for k in Account.INSTITUTION_KINDS])
    kind = django_filters.ChoiceFilter(label=_("类型"), field_name="entry__kind", choices=JournalEntry.Kind.choices,
                                       empty_label=_("全部"))
    institution = django_filters.CharFilter(label=_("机构名称"), field_name="account__owner__name",
                                            lookup_expr="icontains")
    date_from = TypedDateFilter(label=_("开始日期"), field_name="created_at", lookup_expr="date__gte")
    date_to = TypedDateFilter(label=_("结束日期"), field_name="created_at", lookup_expr="date__lte")

    class Meta:
        model = JournalLine
        fields = ["account", "kind", "institution", "date_from", "date_to"]

    def __init__(self, *args, show_institution: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not show_institution:
            self.filters.pop("institution")
