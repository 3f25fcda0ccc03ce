"""Settlement pages (结算管理). The institution (/inst/settlements/) sees its statements, pays from its cash
account or by bank transfer with a voucher, rates 数银 and downloads statement PDFs (one settlement, or a
month). 数银 (/ops/settlements/) sees every settlement its roles allow, and each role finds its own step on
the settlement's page: 跟单员 confirms the amount, then the computed commission (or proposes an adjustment that
跟单经理 approves: four eyes), and releases the hold; the CM confirms the client received the money, 结算员
confirms the receipt or sends an offline payment back; 跟单员 also works the overdue follow-ups (跟单员联系).
Each step calls one service; its refusals are shown as they are."""
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.accounts.models import DataScope, Organization
from apps.accounts.permissions import area_view
from apps.accounts.selectors import user_data_scope
from apps.common import clock
from apps.common.files import private_response, private_save
from apps.common.money import format_cny
from apps.common.steps import flash_hidden_errors, form_step, run_step
from apps.common.views import list_context
from apps.positions.models import Hold
from apps.positions.selectors import institution_finance_summary

from . import pdf, selectors, services
from .forms import (CommissionAdjustForm, CommissionDecisionForm, ConfirmAmountForm, FollowUpForm, MonthlyForm,
                    OfflinePaymentForm, RatingForm, ReasonForm, SettlementFilter)
from .models import FollowUp, Rating, Settlement

S = Settlement.Status
SORTS = {"time": "created_at", "amount": "disbursed_amount", "total": "total", "due": "due_date"}
# the rating each area gives, and the permission it needs
SIDES = {"inst": (Rating.Side.INSTITUTION, "settlement.rate_platform"),
         "ops": (Rating.Side.PLATFORM, "settlement.rate_institution")}


def _overdue_days(s: Settlement, today) -> int:
    """Days past the due date of a statement not paid yet (0 when not overdue)."""
    if s.status == S.STATEMENT and s.due_date and s.due_date < today:
        return (today - s.due_date).days
    return 0


def _pdf_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@area_view("settlement.view_settlement")
def settlement_list(request):
    ops = request.area == "ops"
    form = SettlementFilter(request.GET or None, show_institution=ops)
    qs = form.apply(selectors.settlements_for_user(user=request.user))
    counts = dict(qs.order_by().values_list("status").annotate(n=Count("id")))
    status = request.GET.get("status", "")
    if status in S.values:
        qs = qs.filter(status=status)
    ctx = list_context(request, qs, sorts=SORTS, default_sort="-time")
    today = clock.today()
    for s in ctx["page"]:
        s.overdue_days = _overdue_days(s, today)
    ctx.update(filter={"form": form}, status=status, total=sum(counts.values()), ops=ops,
               tabs=[(code, label, counts.get(code, 0)) for code, label in S.choices])
    return render(request, "settlement/settlement_list.html", ctx)


# the steps each area's page offers (the rating step is shown as "rate" in both)
AREA_STEPS = {"inst": {"pay": "pay", "rate_platform": "rate"},
              "ops": {"amount": "amount", "client": "client", "commission": "commission", "decide": "decide",
                      "receipt": "receipt", "release": "release", "rate_institution": "rate"}}


def _steps_open(s: Settlement, user, area: str) -> set[str]:
    """The steps this user may take on the settlement now, from the state machine, the permission codes and
    each step's rule (the services check again under the row lock)."""
    shown = AREA_STEPS[area]
    return {shown[name] for name in services.steps_open(user=user, s=s) if name in shown}


def _detail(request, s: Settlement, bound: dict | None = None):
    area = request.area
    bound = bound or {}
    s.adjustment_list = list(s.adjustments.select_related("proposed_by", "decided_by"))
    s.pending_adjustment = next((a for a in s.adjustment_list if a.status == "pending"), None)
    steps = _steps_open(s, request.user, area)
    flash_hidden_errors(request, bound, steps)
    side, _perm = SIDES[area]
    ratings = {r.side: r for r in s.ratings.select_related("by")}
    ctx = {
        "s": s, "app": s.application, "case": s.case, "steps": steps, "log": s.log.select_related("actor"),
        "overdue_days": _overdue_days(s, clock.today()), "ratings_visible": services.ratings_visible_to(s),
        "my_rating": ratings.get(side), "their_rating": ratings.get(next(k for k in Rating.Side.values if k != side)),
        "rate_form": bound.get("rate") or RatingForm(),
        "terms": services.terms_text(s) if s.basis else "",
    }
    if area == "inst":
        if "pay" in steps:
            ctx["cash"] = institution_finance_summary(request.user.organization)["cash"]
        ctx["offline_form"] = bound.get("pay") or OfflinePaymentForm()
        ctx["monthly_allowed"] = _sees_whole_institution(request.user)
        return render(request, "settlement/inst_detail.html", ctx)
    ctx.update(amount_form=bound.get("amount") or ConfirmAmountForm(initial={"amount": s.disbursed_amount}),
               reason_form=bound.get("receipt") or ReasonForm(),
               adjust_form=bound.get("commission") or CommissionAdjustForm(initial={
                   "commission": s.computed_commission, "service_fee": s.computed_service_fee}),
               decide_form=bound.get("decide") or CommissionDecisionForm())
    if "release" in steps:
        ctx["hold"] = Hold.objects.filter(pk=s.case.candidate.hold_id).first()
    return render(request, "settlement/ops_detail.html", ctx)


@area_view("settlement.view_settlement")
def settlement_detail(request, pk: int):
    return _detail(request, selectors.settlement_get_for_user(user=request.user, pk=pk))


def _back(request, pk: int) -> str:
    return reverse(f"{request.area}:settlement_detail", args=[pk])


def _form_step(request, pk: int, key: str, form, call, done):
    """A step with input: validate the form, call the service with the cleaned data, redirect with ``done(data)``;
    when the input or the service refuses, the page again with the error and the typed values."""
    s = selectors.settlement_get_for_user(user=request.user, pk=pk)
    if form.is_valid():
        moved = form_step(request, form, call, s, form.cleaned_data, success=done(form.cleaned_data),
                          redirect_to=_back(request, pk))
        if moved:
            return moved
    return _detail(request, s, {key: form})


def _button_step(request, pk: int, call, done):
    """A step without input (one button): ``done(settlement)`` is the success message, the service's refusal
    the error message."""
    s = selectors.settlement_get_for_user(user=request.user, pk=pk)
    return run_step(request, call, s, success=done, redirect_to=_back(request, pk))


# ---- the institution ----

@require_POST
@area_view("settlement.pay_settlement")
def settlement_pay_cash(request, pk: int):
    return _button_step(request, pk, lambda s: services.pay_from_cash(actor=request.user, settlement_id=s.pk),
                        lambda s: _("已从现金账户支付 %(a)s，待数银结算员确认收款。") % {"a": format_cny(s.total)})


def _voucher_discard(path: str) -> None:
    """The payment was refused after the voucher was stored: remove the file nobody will point at."""
    (Path(settings.PRIVATE_MEDIA_ROOT) / path).unlink(missing_ok=True)


@require_POST
@area_view("settlement.pay_settlement")
def settlement_pay_offline(request, pk: int):
    def call(s, d):
        path = private_save(d["voucher"], folder="settlement-vouchers")
        try:
            services.pay_offline(actor=request.user, settlement_id=s.pk, bank_reference=d["bank_reference"],
                                 voucher_path=path)
        except Exception:
            _voucher_discard(path)
            raise

    return _form_step(request, pk, "pay", OfflinePaymentForm(request.POST, request.FILES), call,
                      lambda d: _("已提交线下付款（流水号 %(r)s），待数银结算员核对到账。") % {"r": d["bank_reference"]})


def _rate(request, pk: int):
    side, _perm = SIDES[request.area]
    return _form_step(request, pk, "rate", RatingForm(request.POST),
                      lambda s, d: services.rate(actor=request.user, settlement_id=s.pk, side=side, **d),
                      lambda d: _("已提交评价（%(n)s 星）。") % {"n": d["stars"]})


@require_POST
@area_view("settlement.rate_platform")
def settlement_rate_platform(request, pk: int):
    return _rate(request, pk)


@area_view("settlement.view_settlement")
def settlement_statement_pdf(request, pk: int):
    s = selectors.settlement_get_for_user(user=request.user, pk=pk)
    if s.statement_at is None:
        raise Http404("no statement yet")
    return _pdf_response(pdf.statement_pdf(s), f"{s.number}.pdf")


@area_view("settlement.view_settlement")
def settlement_voucher(request, pk: int):
    s = selectors.settlement_get_for_user(user=request.user, pk=pk)
    if not s.voucher:
        raise Http404("no voucher")
    return private_response(s.voucher)


def _sees_whole_institution(user) -> bool:
    """The monthly statement lists every settlement of the institution: only for users whose data scope is
    the whole institution (not a sub-branch's operator, nor an officer who sees only their own cases)."""
    return user_data_scope(user) == DataScope.ALL


@area_view("settlement.view_settlement")
def settlement_monthly(request):
    if not _sees_whole_institution(request.user):
        raise PermissionDenied("data scope")
    today = clock.today()
    form = MonthlyForm(request.GET if "year" in request.GET else None, initial={"year": today.year,
                                                                                "month": today.month})
    if form.is_valid():
        year, month = form.cleaned_data["year"], form.cleaned_data["month"]
        institution = get_object_or_404(Organization, pk=request.user.organization.root_id)
        return _pdf_response(pdf.monthly_pdf(institution, year, month), f"statement-{year}-{month:02d}.pdf")
    return render(request, "settlement/monthly.html", {"form": form})


# ---- 数银 ----

@require_POST
@area_view("settlement.confirm_amount")
def settlement_confirm_amount(request, pk: int):
    return _form_step(request, pk, "amount", ConfirmAmountForm(request.POST),
                      lambda s, d: services.confirm_amount(actor=request.user, settlement_id=s.pk, **d),
                      lambda d: _("已确认放款金额 %(a)s。") % {"a": format_cny(d["amount"])})


@require_POST
@area_view("settlement.confirm_commission")
def settlement_commission_confirm(request, pk: int):
    return _button_step(request, pk, lambda s: services.commission_confirm(actor=request.user, settlement_id=s.pk),
                        lambda s: _("已确认佣金金额，结算账单已出具（应付 %(a)s）。") % {"a": format_cny(s.total)})


@require_POST
@area_view("settlement.confirm_commission")
def settlement_commission_adjust(request, pk: int):
    return _form_step(request, pk, "commission", CommissionAdjustForm(request.POST),
                      lambda s, d: services.commission_adjust(actor=request.user, settlement_id=s.pk,
                                                              commission_amount=d["commission"],
                                                              service_fee=d["service_fee"], reason=d["reason"]),
                      lambda d: _("已提交佣金调整（机构佣金 %(c)s，客户服务费 %(f)s），待另一位同事复核。")
                      % {"c": format_cny(d["commission"]), "f": format_cny(d["service_fee"])})


@require_POST
@area_view("settlement.approve_commission")
def settlement_commission_decide(request, pk: int):
    approve = request.POST.get("decision") == "approve"
    return _form_step(request, pk, "decide", CommissionDecisionForm(request.POST),
                      lambda s, d: services.commission_decide(actor=request.user, settlement_id=s.pk, approve=approve,
                                                              note=d["note"]),
                      lambda d: _("佣金调整已复核通过，结算账单已出具。") if approve else
                      _("已驳回佣金调整，跟单员将重新确认。"))


@require_POST
@area_view("settlement.confirm_client")
def settlement_confirm_client(request, pk: int):
    return _button_step(request, pk, lambda s: services.confirm_client(actor=request.user, settlement_id=s.pk),
                        lambda s: _("已确认客户到账。") if s.status == S.CONFIRMING else
                        _("已确认客户到账，佣金已计算（%(a)s），待跟单员确认佣金金额。")
                        % {"a": format_cny(s.computed_commission + s.computed_service_fee)})


@require_POST
@area_view("settlement.confirm_receipt")
def settlement_receipt(request, pk: int):
    if request.POST.get("decision") == "approve":
        return _button_step(request, pk, lambda s: services.confirm_receipt(actor=request.user, settlement_id=s.pk,
                                                                            approve=True),
                            lambda s: _("已确认收款 %(a)s，已通知跟单员确认结算完成。") % {"a": format_cny(s.total)})
    return _form_step(request, pk, "receipt", ReasonForm(request.POST),
                      lambda s, d: services.confirm_receipt(actor=request.user, settlement_id=s.pk, approve=False,
                                                            reason=d["reason"]),
                      lambda d: _("已退回付款，机构需重新付款。"))


@require_POST
@area_view("settlement.release_hold")
def settlement_release(request, pk: int):
    return _button_step(request, pk, lambda s: services.release(actor=request.user, settlement_id=s.pk),
                        lambda s: _("结算完成，已恢复机构头寸，等待双方互评。"))


@require_POST
@area_view("settlement.rate_institution")
def settlement_rate_institution(request, pk: int):
    return _rate(request, pk)


# ---- 跟单员联系 ----

def _follow_ups(user):
    return (FollowUp.objects.filter(settlement__in=selectors.settlements_for_user(user=user))
            .select_related("settlement__institution", "settlement__application", "assignee"))


@area_view("settlement.follow_up")
def follow_up_list(request):
    done = request.GET.get("tab") == "done"
    mine = request.GET.get("mine") == "1"
    qs = _follow_ups(request.user).filter(done_at__isnull=not done)
    if mine:
        qs = qs.filter(assignee=request.user)
    ctx = list_context(request, qs, sorts={"time": "created_at", "level": "level", "due": "settlement__due_date"},
                       default_sort="-time" if done else "due")
    today = clock.today()
    for task in ctx["page"]:
        task.overdue_days = _overdue_days(task.settlement, today)
    ctx.update(done=done, mine=mine)
    return render(request, "settlement/follow_up_list.html", ctx)


@require_POST
@area_view("settlement.follow_up")
def follow_up_done(request, pk: int):
    form = FollowUpForm(request.POST)
    if not form.is_valid():
        messages.error(request, form.errors["note"][0])
        return redirect("ops:follow_up_list")
    return run_step(request, services.follow_up_done, actor=request.user, follow_up_id=pk,
                    note=form.cleaned_data["note"], redirect_to="ops:follow_up_list",
                    success=lambda task: _("已记录对 %(inst)s 的联系。") % {"inst": task.settlement.institution.name})
