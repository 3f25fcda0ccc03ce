from django import forms
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import Organization
from apps.common.forms import IntegerNumberField, SearchField, SmallModelChoiceField
from apps.members.models import ClientType
from apps.products.models import Product
from apps.regions.forms import RegionTreeField

from .models import Candidate, Cluster, DeclineReason, Dispatch

class ServiceAreaField(RegionTreeField):
    """Service areas (and cluster regions): a tree of provinces, cities and districts with search and a readable
    summary (``apps.regions.forms.RegionTreeField``); a province or city covers everything beneath it."""


def _client_type_field():
    return forms.MultipleChoiceField(label=_("服务对象"), choices=ClientType.choices,
                                     widget=forms.CheckboxSelectMultiple,
                                     error_messages={"required": _("请至少选择一类服务对象。")})


def _products_field(label, queryset):
    return forms.ModelMultipleChoiceField(label=label, queryset=queryset, widget=forms.CheckboxSelectMultiple,
                                          error_messages={"required": _("请至少选择一个业务类别。")})


class ProfileForm(forms.Form):
    """What an institution may change itself: capacity, client types and pausing."""

    capacity = IntegerNumberField(label=_("同时服务人数"), min_value=1, max_value=9999,
                                  help_text=_("同时在办（已受理未结束）的案件数上限"),
                                  error_messages={"invalid": _("请填写整数，如 20。"),
                                                  "min_value": _("同时服务人数应在 1 到 9999 之间。"),
                                                  "max_value": _("同时服务人数应在 1 到 9999 之间。"),
                                                  "required": _("请填写同时服务人数。")})
    client_types = _client_type_field()
    is_active = forms.BooleanField(label=_("接单中（取消勾选即暂停接收新的派单）"), required=False)

    @classmethod
    def for_profile(cls, profile, data=None):
        return cls(data, initial={"capacity": profile.capacity, "client_types": profile.client_types,
                                  "is_active": profile.is_active})


class PlatformProfileForm(ProfileForm):
    """数银 also sets the service areas and the business categories."""

    areas = ServiceAreaField(label=_("服务区域"), required=False)
    products = _products_field(_("业务类别"), Product.objects.none())

    def __init__(self, *args, profile, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["products"].queryset = Product.objects.filter(
            pk__in=set(profile.product_ids) | set(Product.objects.filter(is_active=True).values_list("pk", flat=True)))
        self.fields["products"].required = False

    @classmethod
    def for_profile(cls, profile, data=None):
        return cls(data, profile=profile, initial={
            "capacity": profile.capacity, "client_types": profile.client_types, "is_active": profile.is_active,
            "areas": [a.region_id for a in profile.areas.all()], "products": profile.product_ids})


class CategoryRequestForm(forms.Form):
    products = _products_field(_("申请的业务类别（变更后的完整清单）"), Product.objects.filter(is_active=True))
    note = forms.CharField(label=_("申请说明"), max_length=300, required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))


class DeclineForm(forms.Form):
    code = forms.ChoiceField(label=_("拒绝原因"), choices=[("", _("请选择"))] + list(DeclineReason.choices),
                             error_messages={"required": _("请选择拒绝原因。")})
    text = forms.CharField(label=_("拒绝说明"), max_length=300, required=False,
                           widget=forms.Textarea(attrs={"rows": 2}), help_text=_("选择“其他”时必填"))

    def clean(self):
        d = super().clean()
        if d.get("code") == DeclineReason.OTHER and not (d.get("text") or "").strip():
            self.add_error("text", _("选择“其他”时请填写拒绝说明。"))
        return d


class OfferFilter(forms.Form):
    q = SearchField(label=_("单号"), required=False, max_length=20)
    product = SmallModelChoiceField(label=_("产品"), required=False, queryset=Product.objects.all(),
                                     empty_label=_("全部"))

    def apply(self, qs):
        if not self.is_valid():
            return qs
        d = self.cleaned_data
        if d.get("q"):
            qs = qs.filter(application__order_no__icontains=d["q"].strip())
        if d.get("product"):
            qs = qs.filter(application__product=d["product"])
        return qs


class HistoryFilter(OfferFilter):
    tab = forms.CharField(widget=forms.HiddenInput, required=False, initial="history")
    status = forms.ChoiceField(label=_("状态"), required=False,
                               choices=[("", _("全部"))] + [c for c in Candidate.Status.choices if c[0] != "offered"])

    def apply(self, qs):
        qs = super().apply(qs)
        if self.is_valid() and self.cleaned_data.get("status"):
            qs = qs.filter(status=self.cleaned_data["status"])
        return qs


class MonitorFilter(forms.Form):
    q = SearchField(label=_("单号"), required=False, max_length=20)
    status = forms.ChoiceField(label=_("状态"), required=False,
                               choices=[("", _("全部"))] + [c for c in Dispatch.Status.choices
                                                           if c[0] in Dispatch.LIVE])
    overdue = forms.BooleanField(label=_("仅看已超时"), required=False)


# ---- 跟单 interventions ----

class _DispatchBound(forms.Form):
    """The dispatch a form was shown for, so that acting on a page left open never reaches a newer attempt."""

    dispatch = IntegerNumberField(widget=forms.HiddenInput)


class CandidateAddForm(_DispatchBound):
    institution = forms.ModelChoiceField(label=_("加派机构"), queryset=Organization.objects.none(),
                                         empty_label=_("请选择机构"),
                                         error_messages={"required": _("请选择要加派的机构。"),
                                                         "invalid_choice": _("请选择一家启用中的合作机构。")})
    reason = forms.CharField(label=_("加派原因"), max_length=200,
                             error_messages={"required": _("请填写人工加派的原因。")})
    accept_warnings = forms.BooleanField(label=_("已知晓以上提示，仍然加派"), required=False)

    def __init__(self, *args, exclude_ids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["institution"].queryset = Organization.objects.filter(
            kind=Organization.Kind.INSTITUTION, parent__isnull=True, is_active=True).exclude(
            pk__in=list(exclude_ids)).order_by("name")


class WindowExtendForm(_DispatchBound):
    target = forms.ChoiceField(label=_("延长哪个时限"), initial="offers", required=False, choices=[
        ("offers", _("待受理派单的受理时限（每家从各自截止时间起延长）")), ("choice", _("客户确认时限"))],
        error_messages={"invalid_choice": _("请选择要延长的时限。")})
    minutes = IntegerNumberField(label=_("延长（分钟）"), min_value=1, max_value=7 * 24 * 60, initial=120,
                                 error_messages={"min_value": _("延长时间应在 1 分钟到 7 天之间。"),
                                                 "max_value": _("延长时间应在 1 分钟到 7 天之间。"),
                                                 "required": _("请填写延长的分钟数。")})
    reason = forms.CharField(label=_("延长原因"), max_length=200, error_messages={"required": _("请填写延长的原因。")})


class RoundCloseForm(_DispatchBound):
    reason = forms.CharField(label=_("提前结束原因"), max_length=200,
                             error_messages={"required": _("请填写提前结束本轮的原因。")})


class RedispatchForm(forms.Form):
    level = forms.ChoiceField(label=_("派发区域层级"), error_messages={"required": _("请选择派发区域层级。"),
                                                                   "invalid_choice": _("请选择有效的派发区域层级。")})
    comment = forms.CharField(label=_("说明"), max_length=200, required=False,
                              widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, levels, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["level"].choices = levels
        self.fields["level"].widget = forms.RadioSelect(choices=levels)


class ChoiceForm(forms.Form):
    REFUSE = "refuse"
    candidate = forms.ChoiceField(label=_("客户选择"), widget=forms.RadioSelect,
                                  error_messages={"required": _("请选择客户选定的机构，或“客户拒绝全部”。"),
                                                  "invalid_choice": _("只能选择已受理的机构。")})
    note = forms.CharField(label=_("备注 / 拒绝原因"), max_length=300, required=False,
                           widget=forms.Textarea(attrs={"rows": 2}), help_text=_("客户拒绝全部机构时必填"))

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["candidate"].choices = [(str(c.pk), c.institution.name) for c in candidates] + [
            (self.REFUSE, _("客户拒绝全部机构"))]

    def clean(self):
        d = super().clean()
        if d.get("candidate") == self.REFUSE and not (d.get("note") or "").strip():
            self.add_error("note", _("请填写客户拒绝的原因。"))
        return d

    def candidate_id(self) -> int | None:
        value = self.cleaned_data["candidate"]
        return None if value == self.REFUSE else int(value)


# ---- platform ----

class ProfileListFilter(forms.Form):
    q = SearchField(label=_("机构名称"), required=False, max_length=50)
    state = forms.ChoiceField(label=_("状态"), required=False, choices=[
        ("", _("全部")), ("active", _("接单中")), ("paused", _("已暂停")), ("flagged", _("体检提示")),
        ("missing", _("未设置派发参数"))])


class DecisionForm(forms.Form):
    note = forms.CharField(label=_("审核意见"), max_length=300, required=False)


class ClusterForm(forms.ModelForm):
    regions = ServiceAreaField(label=_("包含区域"), error_messages={"required": _("请至少选择一个省份或城市。")})

    class Meta:
        model = Cluster
        fields = ["level", "name", "regions"]
        help_texts = {"level": _("英文字母、数字、横线，如 yrd；需加入参数“区域扩展层级”才会启用")}

    def clean_level(self):
        level = self.cleaned_data["level"].strip().lower()
        if level in ("district", "city", "province", "national"):
            raise forms.ValidationError(_("不能使用内置层级代码（district、city、province、national）。"))
        return level
