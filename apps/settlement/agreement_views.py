"""The platform's commission agreements (数银在线后台 → 机构管理 → 佣金协议): every version of every institution's
terms per product with its period and history; a new version from a date; ending a version. The rules (no
overlapping periods, terms never edited) are apps.settlement.agreements'."""
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.accounts.permissions import area_view
from apps.common.steps import form_step, run_step
from apps.common import clock
from apps.common.views import list_context

from . import agreements
from .forms import AgreementEndForm, AgreementFilter, AgreementForm
from .models import Agreement, AgreementLog


def _phase(a: Agreement, today) -> tuple[str, str]:
    if a.valid_from > today:
        return _("未生效"), "info"
    if a.valid_to is not None and a.valid_to < today:
        return _("已失效"), "secondary"
    return _("生效中"), "success"


@area_view("settlement.view_agreement")
def agreement_list(request):
    form = AgreementFilter(request.GET or None)
    qs = form.apply(Agreement.objects.select_related("institution", "product", "created_by"))
    ctx = list_context(request, qs, sorts={"from": "valid_from", "inst": "institution__name"}, default_sort="-from")
    today = clock.today()
    for a in ctx["page"]:
        a.phase, a.phase_tone = _phase(a, today)
        a.terms = agreements.agreement_terms_text(a)
        a.can_end = a.valid_to is None or a.valid_to >= today
    log = form.apply(AgreementLog.objects.select_related("agreement__product", "institution", "actor"))[:30]
    ctx.update(filter={"form": form}, log=log, end_form=AgreementEndForm(initial={"valid_to": today}))
    return render(request, "settlement/agreement_list.html", ctx)


@area_view("settlement.add_agreement")
def agreement_create(request):
    form = AgreementForm(request.POST or None, initial={"valid_from": clock.today()})
    if request.method == "POST" and form.is_valid():
        done = form_step(request, form, agreements.agreement_create, actor=request.user, **form.terms(),
                         success=lambda a: _("已新增佣金协议 %(n)s（%(i)s · %(p)s）。")
                         % {"n": a.number, "i": a.institution.name, "p": a.product.name},
                         redirect_to=lambda a: f"{reverse('platform:agreement_list')}?institution={a.institution_id}")
        if done:
            return done
    return render(request, "settlement/agreement_form.html", {"form": form})


@require_POST
@area_view("settlement.change_agreement")
def agreement_end(request, pk: int):
    a = get_object_or_404(Agreement, pk=pk)
    form = AgreementEndForm(request.POST)
    if not form.is_valid():
        messages.error(request, next(e for errs in form.errors.values() for e in errs))
        return redirect("platform:agreement_list")
    return run_step(request, agreements.agreement_end, actor=request.user, agreement_id=a.pk,
                    valid_to=form.cleaned_data["valid_to"], reason=form.cleaned_data["reason"],
                    success=_("佣金协议 %(n)s 的最后有效日已设为 %(d)s。")
                    % {"n": a.number, "d": form.cleaned_data["valid_to"].strftime("%Y-%m-%d")},
                    redirect_to="platform:agreement_list")
