"""The institution's case pages (/inst/cases/, 案件办理): the cases by status, and a case's page with the
client in full (the client chose this institution), its log and the form of each step the user may take now:
allocate, start review, book and record the signing, disburse, or cannot lend. Each form posts to its own
URL, calls one service and comes back to the case; a refused step shows the service's message."""
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Count
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.accounts.permissions import area_view
from apps.members.services import pii_shown
from apps.common.files import private_response
from apps.common.money import format_cny
from apps.common.numbers import decimal_text
from apps.common.steps import flash_hidden_errors, form_step
from apps.common.views import list_context

from . import selectors, services
from .forms import (AllocateForm, BookSigningForm, CannotLendForm, CaseFilter, DisburseForm, RecordSigningForm,
                    ReviewForm)
from .models import Case

SORTS = {"time": "created_at", "amount": "application__amount", "order": "application__order_no"}
STATUS_LABELS = dict(Case.Status.choices)

# form key → (the case's transition it drives, the permission it needs, how an empty form is made)
STEPS = {
    "allocate": ("allocate", "cases.allocate_case", lambda case, user: AllocateForm(user=user, initial={
        "officer": case.officer_id, "unit": case.unit_id if case.status != Case.Status.NEW and not case.officer_id
        else None})),
    "review": ("start_review", "cases.handle_case", lambda case, user: ReviewForm()),
    "book": ("book_signing", "cases.handle_case", lambda case, user: BookSigningForm(initial={
        "at": case.signing_at, "place": case.signing_place})),
    "sign": ("sign", "cases.handle_case", lambda case, user: RecordSigningForm()),
    "disburse": ("disburse", "cases.handle_case", lambda case, user: DisburseForm.for_case(case)),
    "cannot": ("cannot_lend", "cases.handle_case", lambda case, user: CannotLendForm()),
}


@area_view("cases.view_case")
def case_list(request):
    form = CaseFilter(request.GET or None)
    qs = form.apply(selectors.cases_for_user(user=request.user))
    counts = dict(qs.order_by().values_list("status").annotate(n=Count("id")))
    status = request.GET.get("status", "")
    if status in Case.Status.values:
        qs = qs.filter(status=status)
    ctx = list_context(request, qs, sorts=SORTS, default_sort="-time")
    ctx.update(filter={"form": form}, status=status, total=sum(counts.values()),
               tabs=[(code, label, counts.get(code, 0)) for code, label in Case.Status.choices])
    return render(request, "cases/case_list.html", ctx)


def _steps_open(case: Case, user) -> list[str]:
    """The steps this user may take on the case now, from the state machine, the codes and the officer rule
    (the services check again under the row lock)."""
    return services.CASES.allowed(case, user, {key: (transition, perm) for key, (transition, perm, _m)
                                               in STEPS.items()},
                                  who=lambda case, user, key: STEPS[key][1] != "cases.handle_case"
                                  or services.handles(case, user))


def _detail(request, case: Case, bound: dict | None = None):
    bound = bound or {}
    open_steps = _steps_open(case, request.user)
    flash_hidden_errors(request, bound, open_steps)
    forms = {key: bound.get(key) or STEPS[key][2](case, request.user) for key in open_steps}
    try:
        settlement = case.settlement
    except ObjectDoesNotExist:
        settlement = None
    log = [(entry, STATUS_LABELS.get(entry.from_status, ""), STATUS_LABELS.get(entry.to_status, entry.to_status))
           for entry in case.log.select_related("actor")]
    return render(request, "cases/case_detail.html", {
        "case": case, "app": case.application, "member": case.application.member, "forms": forms, "log": log,
        "settlement": settlement, "cm": case.application.cm, "annual_rate": decimal_text(case.annual_rate),
        "files": selectors.case_documents(case=case)})


@area_view("cases.view_case")
def case_detail(request, pk: int):
    case = selectors.case_get_for_user(user=request.user, pk=pk)
    pii_shown(actor=request.user, member=case.application.member, fields="id_number,mobile")  # shown in full
    return _detail(request, case)


@area_view("cases.view_case")
def case_document(request, pk: int, doc_pk: int):
    """One of the application's documents, for the institution the client chose (its own case, still open or
    done, not given up); every download is logged as a full view of the client's data."""
    case = selectors.case_get_for_user(user=request.user, pk=pk)
    files = selectors.case_documents(case=case)
    doc = next((d for d in files["documents"] if d.pk == doc_pk), None)
    if doc is None:
        raise Http404
    pii_shown(actor=request.user, member=case.application.member, fields=f"document:{doc.pk}")
    return private_response(doc.path)


ID_PHOTOS = {"front": "id_photo_front", "back": "id_photo_back"}


@area_view("cases.view_case")
def case_id_photo(request, pk: int, side: str):
    """The client's ID photo, only when the consent covers identity data; logged like the other full views."""
    case = selectors.case_get_for_user(user=request.user, pk=pk)
    if side not in ID_PHOTOS or not selectors.case_documents(case=case)["id_photos"]:
        raise Http404
    member = case.application.member
    pii_shown(actor=request.user, member=member, fields=ID_PHOTOS[side])
    return private_response(getattr(member, ID_PHOTOS[side]))


def _step(request, pk: int, key: str, form, call, done):
    """The POST half of a case step: validate the form, call the service with the cleaned data, then redirect
    with ``done(data)`` as the success message; when the input or the service refuses, the page is shown again
    with the error and the typed values."""
    case = selectors.case_get_for_user(user=request.user, pk=pk)
    if form.is_valid():
        moved = form_step(request, form, call, case, form.cleaned_data, success=done(form.cleaned_data),
                          redirect_to=reverse("inst:case_detail", args=[pk]))
        if moved:
            return moved
    return _detail(request, case, {key: form})


@require_POST
@area_view("cases.allocate_case")
def case_allocate(request, pk: int):
    def call(case, d):
        services.case_allocate(actor=request.user, case_id=case.pk, officer_id=d["officer"] and d["officer"].pk,
                               unit_id=None if d["officer"] else d["unit"].pk)

    def done(d):
        return _("已分配给 %(to)s。") % {"to": d["officer"].display_name if d["officer"] else d["unit"].name}

    return _step(request, pk, "allocate", AllocateForm(request.POST, user=request.user), call, done)


@require_POST
@area_view("cases.handle_case")
def case_review(request, pk: int):
    return _step(request, pk, "review", ReviewForm(request.POST),
                 lambda case, d: services.case_start_review(actor=request.user, case_id=case.pk, note=d["note"]),
                 lambda d: _("已开始审核。审核通过后请预约面签。"))


@require_POST
@area_view("cases.handle_case")
def case_book_signing(request, pk: int):
    return _step(request, pk, "book", BookSigningForm(request.POST),
                 lambda case, d: services.case_book_signing(actor=request.user, case_id=case.pk, at=d["at"],
                                                            place=d["place"]),
                 lambda d: _("已预约面签：%(at)s，%(place)s。") % {"at": d["at"].strftime("%Y-%m-%d %H:%M"),
                                                            "place": d["place"]})


@require_POST
@area_view("cases.handle_case")
def case_record_signing(request, pk: int):
    return _step(request, pk, "sign", RecordSigningForm(request.POST),
                 lambda case, d: services.case_record_signing(actor=request.user, case_id=case.pk, note=d["note"]),
                 lambda d: _("已记录面签。放款后请录入放款信息。"))


@require_POST
@area_view("cases.handle_case")
def case_disburse(request, pk: int):
    return _step(request, pk, "disburse", DisburseForm(request.POST),
                 lambda case, d: services.case_disburse(actor=request.user, case_id=case.pk, **d),
                 lambda d: _("已录入放款 %(a)s，数银跟单将与贵机构核对金额后出具结算账单。") % {
                     "a": format_cny(d["amount"])})


@require_POST
@area_view("cases.handle_case")
def case_cannot_lend(request, pk: int):
    return _step(request, pk, "cannot", CannotLendForm(request.POST),
                 lambda case, d: services.case_cannot_lend(actor=request.user, case_id=case.pk, reason=d["reason"]),
                 lambda d: _("已标记为无法操作：案件退回数银重新处理，本案冻结的头寸已解冻。"))
