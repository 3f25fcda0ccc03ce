from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.accounts.permissions import area_view
from apps.common.steps import run_step
from apps.common.files import private_response
from apps.common.views import list_context

from . import selectors, services
from .forms import MemberFilter, MemberForm


@area_view("members.view_member")
def member_list(request):
    form = MemberFilter(request.GET or None)
    qs = selectors.member_list_for_user(user=request.user)
    if form.is_valid():
        qs = selectors.member_search(qs, form.cleaned_data.get("q", ""))
        if form.cleaned_data.get("status"):
            qs = qs.filter(status=form.cleaned_data["status"])
    ctx = list_context(request, qs, sorts={"time": "created_at", "name": "real_name"}, default_sort="-time")
    ctx["filter"] = {"form": form}
    return render(request, "members/member_list.html", ctx)


@area_view("members.add_member")
def member_create(request):
    form = MemberForm(request.POST or None, request.FILES or None)
    handover_id_number = ""
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            member = services.member_register(actor=request.user, **d)
        except ValidationError as exc:
            form.add_error(None, exc.messages[0])
            if exc.error_list[0].code == "registered_elsewhere":  # offer the hand-over request
                handover_id_number = d["id_number"]
        else:
            messages.success(request, _("已登记会员 %(n)s，待客服实名认证。") % {"n": member.real_name})
            if not member.birthplace_known:
                messages.warning(request, _("提示：身份证前 6 位出生地代码不在现行行政区划中（可能是旧代码），请客服核对。"))
            return redirect("ops:member_detail", pk=member.pk)
    return render(request, "members/member_form.html", {"form": form, "handover_id_number": handover_id_number})


@area_view("members.view_member")
def member_detail(request, pk: int):
    member = selectors.member_get_for_user(user=request.user, pk=pk)
    full = services.pii_reveal(actor=request.user, member=member) if request.GET.get("reveal") and \
        request.user.has_perm("members.view_member_pii") else None
    return render(request, "members/member_detail.html", {
        "member": member, "full": full, "consents": member.consents.select_related("recorded_by")[:20],
        "applications": member.applications.select_related("product")[:20]})


@require_POST
@area_view("members.verify_member")
def member_decide(request, pk: int):
    member = selectors.member_get_for_user(user=request.user, pk=pk)
    decision = request.POST.get("decision")
    if decision == "provider":
        act, kwargs = services.member_check_with_provider, {}
    else:
        act, kwargs = services.member_decide, {"approve": decision == "approve",
                                               "reason": request.POST.get("reason", "").strip()}
    return run_step(request, act, actor=request.user, member_id=member.pk, **kwargs,
                    redirect_to=reverse("ops:member_detail", args=[pk]),
                    success=lambda m: _("认证结果：%(s)s %(r)s") % {"s": m.get_status_display(), "r": m.reject_reason})


@area_view("members.view_member")
def member_photo(request, pk: int, side: str):
    member = selectors.member_get_for_user(user=request.user, pk=pk)
    if not request.user.has_perm("members.view_member_pii"):
        return render(request, "403.html", status=403)
    services.pii_reveal(actor=request.user, member=member)
    return private_response(member.id_photo_front if side == "front" else member.id_photo_back)
