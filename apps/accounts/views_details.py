"""资料修改 (机构后台 二.4): the institution edits its own details, legal fields go to 数银 for review; and the
platform's review page for those requests."""
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.common.views import list_context

from . import services
from .forms import DetailDecisionForm, InstitutionDetailsForm
from .models import InstitutionDetailChange, Organization
from .permissions import area_view

LABELS = {f: str(Organization._meta.get_field(f).verbose_name)
          for f in services.DETAIL_DIRECT_FIELDS + services.DETAIL_LEGAL_FIELDS}
LABELS["region"] = _("所在城市")


def _rows(change: InstitutionDetailChange) -> list[tuple[str, str, str]]:
    """(field label, before, after) of one change, in the form's order."""
    return [(LABELS.get(f, f), change.before.get(f, ""), change.after.get(f, "")) for f in change.after]


@area_view("accounts.change_organization")
def institution_details(request):
    org = Organization.objects.select_related("region").get(pk=request.user.organization.root_id)
    form = InstitutionDetailsForm(request.POST or None, organization=org)
    if request.method == "POST" and form.is_valid():
        try:
            applied, pending = services.institution_details_update(actor=request.user, values=dict(form.cleaned_data))
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors[0])
            else:
                form.add_error(None, exc.messages[0])
        else:
            if pending:
                messages.success(request, _("主体信息变更已提交数银审核，审核结果将通过站内信通知您。"))
            if applied:
                messages.success(request, _("联系信息与退款账户已保存，立即生效。"))
            if not (applied or pending):
                messages.info(request, _("没有修改任何内容。"))
            return redirect("inst:institution_details")
    history = list(InstitutionDetailChange.objects.filter(organization=org)
                   .select_related("requested_by", "decided_by")[:30])
    for change in history:
        change.rows = _rows(change)
    pending = next((c for c in history if c.status == InstitutionDetailChange.Status.PENDING), None)
    return render(request, "accounts/institution_details.html",
                  {"org": org, "form": form, "history": history, "pending": pending})


@area_view("accounts.review_detail_change")
def detail_change_list(request):
    qs = InstitutionDetailChange.objects.exclude(status=InstitutionDetailChange.Status.APPLIED).select_related(
        "organization", "requested_by", "decided_by")
    status = request.GET.get("status", "pending")
    if status in InstitutionDetailChange.Status.values:
        qs = qs.filter(status=status)
    ctx = list_context(request, qs, sorts={"time": "created_at"}, default_sort="-time")
    for change in ctx["page"]:
        change.rows = _rows(change)
    ctx.update(status=status, statuses=[c for c in InstitutionDetailChange.Status.choices if c[0] != "applied"],
               decision_form=DetailDecisionForm())
    return render(request, "accounts/detail_change_list.html", ctx)


@require_POST
@area_view("accounts.review_detail_change")
def detail_change_decide(request, pk: int):
    approve = request.POST.get("decision") == "approve"
    try:
        services.detail_change_decide(actor=request.user, change_id=pk, approve=approve,
                                      reason=request.POST.get("reason", ""))
    except InstitutionDetailChange.DoesNotExist:
        raise Http404 from None
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, _("已通过，机构主体信息已更新。") if approve else _("已驳回，机构将收到站内信。"))
    return redirect("platform:detail_change_list")
