"""客户移交 pages (/ops/handovers/): the requests a CM made and those the owning CM or team leader decides on,
the request form (also offered on the member registration page when another CM registered the client), and the
decision. The rules live in ``handover``."""
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.accounts.permissions import area_view
from apps.common.steps import form_step, run_step
from apps.common.views import list_context

from . import handover
from .forms import HandoverDecideForm, HandoverRequestForm
from .models import Handover


@area_view("applications.decide_handover")
def handover_list(request):
    ctx = list_context(request, handover.handovers_for_user(user=request.user),
                       sorts={"time": "requested_at"}, default_sort="-time")
    for h in ctx["page"]:
        h.can_decide = h.status == Handover.Status.PENDING and h.to_cm_id != request.user.pk
    return render(request, "applications/handover_list.html", ctx)


@area_view("applications.request_handover")
def handover_new(request):
    form = HandoverRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        done = form_step(request, form, handover.handover_request, actor=request.user,
                         id_number=form.cleaned_data["id_number"], reason=form.cleaned_data["reason"],
                         success=lambda h: _("已向 %(cm)s 及其客户组长提交移交申请，审批结果将以站内信通知您。")
                         % {"cm": h.from_cm.display_name}, redirect_to="ops:handover_list")
        if done:
            return done
    return render(request, "applications/handover_form.html", {"form": form})


@require_POST
@area_view("applications.decide_handover")
def handover_decide(request, pk: int):
    h = handover.handover_get_for_user(user=request.user, pk=pk)
    form = HandoverDecideForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择同意或拒绝。"))
        return redirect("ops:handover_list")

    def done(h):
        if h.status == Handover.Status.APPROVED:
            return _("已同意移交：客户及 %(n)s 笔办理中的申请已转给 %(cm)s。") % {
                "n": h.applications_moved, "cm": h.to_cm.display_name}
        return _("已拒绝移交申请。")

    return run_step(request, handover.handover_decide, actor=request.user, handover_id=h.pk,
                    approve=form.cleaned_data["decision"] == "approve", note=form.cleaned_data["note"],
                    success=done, redirect_to="ops:handover_list")
