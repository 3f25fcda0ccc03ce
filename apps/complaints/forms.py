"""Forms of the complaint pages. They check the shape of the input (lengths, choices, files); the rules of
each step (what a decision requires) stay in the services, whose messages the views put on these forms."""
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import Organization, User
from apps.common.files import sniff
from apps.common.forms import AmountField, AsciiCharField, SearchField

from .departments import department_choices
from .models import Complaint

S = Complaint.Status
MAX_ATTACHMENTS = 5
RADIO = forms.RadioSelect(attrs={"class": "form-check-input"})


def _text(label, max_length, *, rows=0, required=True, required_message="", **kwargs):
    widget = forms.Textarea(attrs={"rows": rows}) if rows else None
    messages = {"max_length": _("最多 %(n)s 个字。") % {"n": max_length}}
    if required_message:
        messages["required"] = required_message
    return forms.CharField(label=label, max_length=max_length, required=required, widget=widget,
                           error_messages=messages, **kwargs)


class StaffChoiceField(forms.ModelChoiceField):
    """Active 数银 staff, shown with their department."""

    def __init__(self, **kwargs):
        super().__init__(queryset=User.objects.filter(is_active=True, organization__kind=Organization.Kind.PLATFORM)
                         .select_related("organization").order_by("organization__path", "real_name"),
                         empty_label=_("请选择"), error_messages={"invalid_choice": _("请选择在职的数银员工。")},
                         **kwargs)

    def label_from_instance(self, obj):
        return f"{obj.display_name}（{obj.organization.name}）"


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """Several files in one input, each checked by content and size like the application documents."""

    widget = MultipleFileInput

    def clean(self, data, initial=None):
        files = [f for f in (data if isinstance(data, (list, tuple)) else [data]) if f]
        if len(files) > MAX_ATTACHMENTS:
            raise forms.ValidationError(_("最多上传 %(n)s 个附件。") % {"n": MAX_ATTACHMENTS})
        for upload in files:
            super().clean(upload, initial)
            try:
                sniff(upload)
            except forms.ValidationError as exc:
                raise forms.ValidationError(f"{upload.name}：{exc.messages[0]}") from exc
        return files


class ComplaintForm(forms.Form):
    subject = _text(_("投诉主题"), 100, required_message=_("请填写投诉主题。"))
    content = _text(_("投诉内容"), 3000, rows=6, required_message=_("请填写投诉内容。"),
                    help_text=_("请写明事情经过、涉及的人员或机构、时间以及诉求"))
    contact_person = _text(_("联系人"), 50, required_message=_("请填写联系人。"))
    contact_phone = AsciiCharField(label=_("联系方式"), max_length=30,
                                   error_messages={"required": _("请填写联系方式。"), "max_length": _("最多 30 个字。")},
                                   help_text=_("11 位手机号或带区号的固定电话，如 0755-86001234"))
    on_behalf_of_client = forms.BooleanField(label=_("代客户登记（客户来电、来访反映的问题）"), required=False)
    order_no = AsciiCharField(label=_("相关贷款申请单号（可选）"), max_length=20, required=False)
    attachments = AttachmentsField(
        label=_("附件（可选）"), required=False,
        help_text=_("可多选，最多 %(n)s 个；PDF/JPG/PNG，每个 10 MB 以内。提交失败时请重新选择附件") % {"n": MAX_ATTACHMENTS})

    def __init__(self, *args, institution: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if institution:  # an institution files in its own name
            del self.fields["on_behalf_of_client"]


class ComplaintFilter(forms.Form):
    q = SearchField(label=_("单号/主题"), required=False, max_length=100)
    status = forms.ChoiceField(label=_("状态"), required=False, choices=[("", _("全部"))] + list(S.choices))
    overdue = forms.BooleanField(label=_("仅看已超时"), required=False)

    def apply(self, qs, *, now):
        if not self.is_valid():
            return qs
        d = self.cleaned_data
        if d.get("q"):
            q = d["q"].strip()
            qs = qs.filter(Q(number__icontains=q) | Q(subject__icontains=q))
        if d.get("status"):
            qs = qs.filter(status=d["status"])
        if d.get("overdue"):
            qs = qs.exclude(status__in=Complaint.FINAL).filter(due_at__lt=now)
        return qs


# ---- the step forms on the detail page ----

class ScreenForm(forms.Form):
    """受理审核. Each decision needs its own fields; which ones is the service's rule (screen)."""

    decision = forms.ChoiceField(label=_("处理结论"), widget=RADIO, choices=[
        ("suggestion", _("不属于投诉，按建议处理")), ("not_accepted", _("不予受理")), ("accepted", _("受理"))],
        error_messages={"required": _("请选择处理结论。")})
    forwarded_to = forms.ChoiceField(label=_("转交部门"), required=False,
                                     error_messages={"invalid_choice": _("请选择转交的部门（角色或组织部门）。")},
                                     help_text=_("选择角色或组织部门，其人员将收到站内信并标记处理"))
    reply = _text(_("给投诉人的答复"), 2000, rows=3, required=False)
    responsible_kind = forms.ChoiceField(label=_("责任方"), required=False,
                                         choices=[("", _("请选择"))] + list(Complaint.Responsible.choices))
    responsible_user = StaffChoiceField(label=_("责任人"), required=False,
                                        help_text=_("责任方为渠道时可不选（由跟单经理核查）"))
    institution = forms.ModelChoiceField(
        label=_("被投诉机构"), required=False, empty_label=_("请选择"),
        queryset=Organization.objects.filter(kind=Organization.Kind.INSTITUTION, parent__isnull=True,
                                             is_active=True).order_by("name"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["forwarded_to"].choices = [("", _("请选择"))] + department_choices()


class DecideForm(forms.Form):
    holds = forms.TypedChoiceField(label=_("投诉是否成立"), widget=RADIO,
                                   choices=[("1", _("成立")), ("0", _("不成立"))], coerce=lambda v: v == "1",
                                   error_messages={"required": _("请选择投诉是否成立。")})
    decision = _text(_("核查结论与处理决定"), 500, rows=3, required_message=_("请填写核查结论与处理决定。"))
    penalty = _text(_("处罚"), 300, required=False, help_text=_("投诉成立时必填，如：通报批评、扣减当月绩效"))
    responsible_user = StaffChoiceField(label=_("责任人"), required=False, help_text=_("投诉成立时必填"))


class FinalReviewForm(forms.Form):
    reply = _text(_("给投诉人的答复"), 2000, rows=4, required_message=_("请填写给投诉人的答复。"),
                  help_text=_("请先与投诉人联系，记录答复的内容；提交后投诉办结"))


class SuggestionHandledForm(forms.Form):
    handling = _text(_("处理情况"), 500, rows=3, required_message=_("请填写处理情况。"),
                     help_text=_("如：已纳入下季度产品改进计划"))


class ReportForm(forms.Form):
    """机构核查 first (投诉是否成立 and why), then the two feedback parts."""

    holds = forms.TypedChoiceField(label=_("核查结论：投诉是否成立"), widget=RADIO, coerce=lambda v: v == "1",
                                   choices=[("1", _("成立")), ("0", _("不成立"))],
                                   error_messages={"required": _("请选择投诉是否成立。")})
    holds_reason = _text(_("成立或不成立的理由"), 1000, rows=3, required_message=_("请填写成立或不成立的理由。"))
    agreement = _text(_("1. 与客户达成的处理结果"), 2000, rows=4,
                      required_message=_("请填写与客户达成的处理结果。"))
    internal = _text(_("2. 机构内部处理情况"), 2000, rows=4, required_message=_("请填写机构内部处理情况。"))


class PlatformConfirmForm(forms.Form):
    outcome = forms.ChoiceField(widget=forms.HiddenInput, choices=[("accept", "accept"), ("send_back", "send_back")],
                                error_messages={"required": _("请选择确认办结或退回机构。")})
    reply = _text(_("答复内容"), 2000, rows=4, required_message=_("请填写答复内容（退回时为退回原因）。"),
                  help_text=_("确认办结时为给投诉人的答复；退回时为退回原因"))
    penalty_amount = AmountField(label=_("罚款金额（元，可选）"), required=False,
                                        help_text=_("从该机构风险保证金扣除，需另一位同事在“调账与审批”中复核后生效"))
