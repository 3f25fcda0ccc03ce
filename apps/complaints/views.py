"""Complaint pages (投诉反馈通道) in both areas: the list, filing, the detail page with the form of the step the
user owns now, attachments, and the complaint centre's dashboard (/ops/complaints/dashboard/).

Which step forms a user sees follows the services' rules: the permission code of the step and, where the
services require it, being among the step's owners (``services.owners``). Institutions see a complaint's
internal 数银 handling (responsible staff, penalties) only as status changes."""
from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.accounts.access import PLATFORM_ROLES
from apps.accounts.permissions import area_view
from apps.applications.models import Application
from apps.common import clock
from apps.common.files import private_response
from apps.common.money import format_cny
from apps.common.steps import form_step
from apps.common.views import list_context

from . import selectors, services
from .forms import (ComplaintFilter, ComplaintForm, DecideForm, FinalReviewForm, PlatformConfirmForm, ReportForm,
                    ScreenForm, SuggestionHandledForm)
from .models import Attachment, Complaint

S = Complaint.Status
STATUS_LABELS = dict(S.choices)
ROLE_NAMES = {spec.code: spec.name for spec in PLATFORM_ROLES}
# statuses of the internal path, whose log texts name 数银 staff and penalties
INTERNAL = {S.INVESTIGATING, S.CONFIRMING, S.FINAL_REVIEW}
SORTS = {"number": "number", "filed": "created_at", "deadline": "due_at", "status": "status"}
STEP_FORMS = {"screen": ScreenForm, "decide": DecideForm, "confirm_penalty": None, "final_review": FinalReviewForm,
              "report": ReportForm, "platform_confirm": PlatformConfirmForm,
              "suggestion_handled": SuggestionHandledForm}


def _in_institution(request) -> bool:
    return request.user.organization.is_institution


def _owner_label(c: Complaint, *, institution_view: bool) -> str:
    """Who must act now: a person, a role, or an institution. Institutions see 数银's side as "数银"."""
    if not c.is_open:
        return ""
    if c.owner_institution_id:
        return c.owner_institution.name
    if institution_view:
        return _("数银")
    if c.owner_id:
        return c.owner.display_name
    return ROLE_NAMES.get(c.owner_role, c.owner_role)


def _mark_rows(request, rows) -> None:
    now, inst, user = clock.now(), _in_institution(request), request.user
    insider = user.has_perm("complaints.handle_complaint") or user.has_perm("complaints.view_all_complaints")
    for c in rows:
        # a filer (not handling it now) sees "数银" as the current handler, like an institution does
        filer = not insider and c.filed_by_id == user.pk and c.owner_id != user.pk
        c.step_owner = _owner_label(c, institution_view=inst or filer)
        c.overdue = c.is_open and c.due_at is not None and c.due_at < now


def _scoped(request):
    return selectors.complaints_for_user(user=request.user).select_related("owner_institution")


@area_view("complaints.view_complaint")
def complaint_list(request):
    form = ComplaintFilter(request.GET or None)
    ctx = list_context(request, form.apply(_scoped(request), now=clock.now()), sorts=SORTS, default_sort="-filed")
    _mark_rows(request, ctx["page"])
    ctx["filter"] = {"form": form}
    return render(request, "complaints/complaint_list.html", ctx)


@area_view("complaints.handle_complaint")
def complaint_dashboard(request):
    counts = selectors.queue_counts(user=request.user)
    steps = [(code, label, counts["by_status"].get(code, 0)) for code, label in S.choices
             if code not in Complaint.FINAL]
    overdue = _scoped(request).exclude(status__in=Complaint.FINAL).filter(due_at__lt=clock.now())
    ctx = list_context(request, overdue, sorts=SORTS, default_sort="deadline")
    _mark_rows(request, ctx["page"])
    ctx.update(steps=steps, overdue_count=counts["overdue"])
    return render(request, "complaints/dashboard.html", ctx)


@area_view("complaints.file_complaint")
def complaint_new(request):
    # a hint elsewhere may open this form with its subject filled in (e.g. "申请调整服务区域")
    form = ComplaintForm(request.POST or None, request.FILES or None, institution=_in_institution(request),
                         initial={"subject": request.GET.get("subject", "")[:100]})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        application_id = None
        if d["order_no"].strip():
            application_id = Application.objects.filter(order_no=d["order_no"].strip()).values_list(
                "pk", flat=True).first()
            if application_id is None:
                form.add_error("order_no", _("找不到该贷款申请，请检查单号。"))
        if not form.errors:
            done = form_step(
                request, form, services.complaint_file, actor=request.user, subject=d["subject"],
                content=d["content"], contact_person=d["contact_person"], contact_phone=d["contact_phone"],
                on_behalf_of_client=d.get("on_behalf_of_client", False), application_id=application_id,
                attachments=d["attachments"],
                success=lambda c: _("已提交投诉 %(no)s，投诉处理中心将尽快受理审核，处理进展会通过站内信通知您。")
                % {"no": c.number}, redirect_to=lambda c: reverse(f"{request.area}:complaint_detail", args=[c.pk]))
            if done:
                return done
    return render(request, "complaints/complaint_form.html", {"form": form})


# ---- the detail page and the step forms ----

def _actions(request, c: Complaint) -> set[str]:
    """The step forms this user may use now (the services' own rules: ``services.steps_open``)."""
    return services.steps_open(user=request.user, c=c)


def _filer_only(user, c: Complaint) -> bool:
    """The filer (a person, or the filing institution) with no part in handling the complaint: they see its
    outcome and the reply, not 数银's responsibility decisions (who was responsible, findings, penalties)."""
    org = user.organization
    if org.is_institution:
        return c.filing_institution_id == org.root_id and c.institution_id != org.root_id
    if c.filed_by_id != user.pk or user.has_perm("complaints.handle_complaint") \
            or user.has_perm("complaints.view_all_complaints"):
        return False
    involved = {c.responsible_user_id, c.owner_id, c.superior_confirmed_by_id, c.suggestion_handled_by_id}
    if c.responsible_user_id and c.responsible_user.superior_id:
        involved.add(c.responsible_user.superior_id)
    if user.pk in involved or c.log.filter(actor=user).count() > 1:  # beyond filing it, they acted on it
        return False
    return not (c.owner_role and user.roles.filter(code=c.owner_role, organization__isnull=True).exists())


def _history(c: Complaint, *, institution_view: bool, filer_view: bool = False) -> list:
    rows = []
    for h in c.log.select_related("actor__organization"):
        h.from_label, h.to_label = STATUS_LABELS.get(h.from_status, ""), STATUS_LABELS.get(h.to_status, "")
        h.actor_label = h.actor.display_name if h.actor else _("系统")
        if filer_view:  # the steps and when, without the texts that name responsibility or penalties
            if not h.to_status:
                continue
            if h.from_status:  # every step after filing: who acted is 数银 or the institution complained about
                h.text = ""
                h.actor_label = _("合作机构") if h.actor and h.actor.organization.is_institution else _("数银")
        elif institution_view:
            if not h.to_status:  # penalty confirmations and reminders of 数银's own steps
                continue
            if h.actor and not h.actor.organization.is_institution:
                h.actor_label = _("数银")
            if h.to_status in INTERNAL:
                h.text = ""
        rows.append(h)
    return rows


def _detail_page(request, c: Complaint, bound: dict | None = None):
    institution_view = _in_institution(request)
    filer_view = _filer_only(request.user, c)
    actions = _actions(request, c)
    forms = {name: (bound or {}).get(name) or STEP_FORMS[name](initial=_initial(name, c))
             for name in actions if STEP_FORMS[name]}
    own_root = request.user.organization.root_id
    c.step_owner = _owner_label(c, institution_view=institution_view or filer_view)
    return render(request, "complaints/complaint_detail.html", {
        "c": c, "actions": actions, "forms": forms, "institution_view": institution_view, "filer_view": filer_view,
        "attachments": c.attachments.select_related("uploaded_by"),
        "history": _history(c, institution_view=institution_view, filer_view=filer_view),
        "show_report": not filer_view and (not institution_view or c.institution_id == own_root),
        "confirmer": _("上级") if c.responsible_confirmed_at else _("责任人"),
    })


def _initial(action: str, c: Complaint) -> dict:
    if action == "decide":
        return {"responsible_user": c.responsible_user_id}
    if action == "platform_confirm" and c.institution_id:
        return {"reply": c.institution_agreement}
    return {}


@area_view("complaints.view_complaint")
def complaint_detail(request, pk: int):
    return _detail_page(request, selectors.complaint_get_for_user(user=request.user, pk=pk))


@area_view("complaints.view_complaint")
def attachment_download(request, pk: int, att_pk: int):
    c = selectors.complaint_get_for_user(user=request.user, pk=pk)
    return private_response(get_object_or_404(Attachment, pk=att_pk, complaint=c).path)


def _act(request, pk: int, action: str, call, success):
    """Validate the step's form and call its service (``call(complaint, cleaned_data)``). A rule the service
    enforces comes back on the form; when the step has meanwhile moved on, as a message above the page."""
    c = selectors.complaint_get_for_user(user=request.user, pk=pk)
    form_class = STEP_FORMS[action]
    form = form_class(request.POST) if form_class else None
    back = reverse(f"{request.area}:complaint_detail", args=[pk])
    if form is None or form.is_valid():
        data = form.cleaned_data if form else {}
        target = form if form is not None else forms.Form({})  # a button: the refusal needs somewhere to go
        moved = form_step(request, target, call, c, data, success=lambda done: success(done, data), redirect_to=back)
        if moved:
            return moved
        c = selectors.complaint_get_for_user(user=request.user, pk=pk)
        if form is None or action not in _actions(request, c):
            messages.error(request, target.non_field_errors()[0])
            return redirect(back)
    return _detail_page(request, c, bound={action: form})


def _screen_success(c: Complaint, d: dict) -> str:
    if c.status == S.SUGGESTION:
        return _("已按建议处理并转交%(dept)s，已答复投诉人。") % {"dept": c.forwarded_to}
    if c.status == S.NOT_ACCEPTED:
        return _("已不予受理，已答复投诉人。")
    if c.institution_id:
        return _("已受理，转交%(inst)s核实处理。") % {"inst": c.institution.name}
    return _("已受理，转交%(who)s核查。") % {"who": _owner_label(c, institution_view=False)}


@require_POST
@area_view("complaints.handle_complaint")
def complaint_screen(request, pk: int):
    return _act(request, pk, "screen", lambda c, d: services.screen(
        actor=request.user, complaint_id=c.pk, decision=d["decision"], reply=d["reply"],
        forwarded_to=d["forwarded_to"], responsible_kind=d["responsible_kind"],
        responsible_user_id=d["responsible_user"].pk if d["responsible_user"] else None,
        institution_id=d["institution"].pk if d["institution"] else None), _screen_success)


@require_POST
@area_view("complaints.review_complaint")
def complaint_decide(request, pk: int):
    return _act(request, pk, "decide", lambda c, d: services.decide(
        actor=request.user, complaint_id=c.pk, holds=d["holds"], decision=d["decision"], penalty=d["penalty"],
        responsible_user_id=d["responsible_user"].pk if d["responsible_user"] else None),
        lambda c, d: _("已提交核查结论：投诉成立，已通知责任人确认处罚。") if d["holds"]
        else _("已提交核查结论：投诉不成立，转投诉处理中心终审。"))


@require_POST
@area_view("complaints.view_complaint")  # the responsible person and their superior: any 数银 staff
def complaint_confirm_penalty(request, pk: int):
    return _act(request, pk, "confirm_penalty",
                lambda c, d: services.confirm_penalty(actor=request.user, complaint_id=c.pk),
                lambda c, d: _("已确认处罚，待上级确认。") if c.status == S.CONFIRMING
                else _("已确认处罚，转投诉处理中心终审。"))


@require_POST
@area_view("complaints.handle_complaint")
def complaint_final_review(request, pk: int):
    return _act(request, pk, "final_review",
                lambda c, d: services.final_review(actor=request.user, complaint_id=c.pk, reply=d["reply"]),
                lambda c, d: _("投诉已办结，已答复投诉人。"))


@require_POST
@area_view("complaints.handle_institution_complaint")
def complaint_report(request, pk: int):
    return _act(request, pk, "report", lambda c, d: services.institution_report(
        actor=request.user, complaint_id=c.pk, holds=d["holds"], holds_reason=d["holds_reason"],
        agreement=d["agreement"], internal=d["internal"]),
        lambda c, d: _("已提交处理反馈，等待数银确认。"))


def _confirm_success(c: Complaint, d: dict) -> str:
    if c.status != S.CLOSED:
        return _("已退回机构补充处理。")
    if c.penalty_amount:
        return _("投诉已办结，已答复投诉人。罚款 %(a)s 已提交复核，复核通过后从该机构风险保证金扣除。") % {
            "a": format_cny(c.penalty_amount)}
    return _("投诉已办结，已答复投诉人。")


@require_POST
@area_view("complaints.handle_complaint")
def complaint_platform_confirm(request, pk: int):
    return _act(request, pk, "platform_confirm", lambda c, d: services.platform_confirm(
        actor=request.user, complaint_id=c.pk, accept=d["outcome"] == "accept", reply=d["reply"],
        penalty_amount=d["penalty_amount"] if d["outcome"] == "accept" else None), _confirm_success)


@require_POST
@area_view("complaints.view_complaint")  # the members of the department the suggestion went to: any 数银 staff
def complaint_suggestion_handled(request, pk: int):
    return _act(request, pk, "suggestion_handled", lambda c, d: services.suggestion_mark_handled(
        actor=request.user, complaint_id=c.pk, handling=d["handling"]),
        lambda c, d: _("已标记建议为已处理。"))
