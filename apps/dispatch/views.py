"""Dispatch pages: the institution's offers and dispatch profile (/inst/dispatch/), 数银's monitor, dispatch
record, interventions, redispatch and the client's choice (/ops/dispatch/), and the institutions' profiles,
category requests and clusters on the platform site (/platform/dispatch/)."""
import re

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.accounts.models import Organization
from apps.accounts.permissions import area_view
from apps.applications.models import Status as AppStatus
from apps.applications.selectors import application_get_for_user, application_list_for_user
from apps.common import clock
from apps.common.money import format_cny
from apps.common.numbers import percent_text
from apps.common.params import param_get, params_get_many
from apps.common.steps import form_step, run_step
from apps.common.views import list_context
from apps.members.models import ClientType
from apps.products.models import Product
from apps.regions.selectors import region_path_name

from . import selectors, services
from .disclosure import client_view
from .forms import (CandidateAddForm, CategoryRequestForm, ChoiceForm, ClusterForm, DecisionForm, DeclineForm,
                    HistoryFilter, MonitorFilter, OfferFilter, PlatformProfileForm, ProfileForm, ProfileListFilter,
                    RedispatchForm, RoundCloseForm, WindowExtendForm)
from .models import Candidate, CategoryRequest, Cluster, Dispatch, LostCase
from .scoring import PART_LABELS, PARTS, WEIGHT_KEYS

C = Candidate.Status


def _submit(request, form, act, success, to: str, **kwargs):
    """Validate ``form`` and call the service (``act(cleaned_data)``); a rule the service enforces comes back
    as an error on the form. Returns the redirect to ``to`` after success, None to show the form again.
    ``success`` is the message, or a function of the cleaned data giving it."""
    if not form.is_valid():
        return None
    return form_step(request, form, act, form.cleaned_data, redirect_to=resolve_url(to, **kwargs),
                     success=success(form.cleaned_data) if callable(success) else success)


def _level_names(codes) -> dict[str, str]:
    """Level labels for the distinct codes on a page (a custom cluster level costs one query per code, so
    the count follows the configured levels, not the rows)."""
    return {code: selectors.level_name(code) for code in set(codes)}


def _score_rows(parts: dict, weights: dict | None = None) -> list[tuple]:
    """(label, weighted part, full marks) in the order of scoring.PARTS."""
    return [(PART_LABELS[k], parts.get(k), weights.get(f"dispatch.weight.{k}") if weights else None) for k in PARTS]


# ---- institution: offers (可受理贷款查询) ----

OFFER_SORTS = {"offered": "offered_at", "deadline": "deadline", "amount": "application__amount",
               "order": "application__order_no", "round": "round__number"}


@area_view("dispatch.view_case")
def offer_list(request):
    history = request.GET.get("tab") == "history"
    offers = selectors.offers_for_user(user=request.user)
    qs = offers.exclude(status=C.OFFERED) if history else offers.filter(status=C.OFFERED)
    form = (HistoryFilter if history else OfferFilter)(request.GET or None)
    ctx = list_context(request, form.apply(qs), sorts=OFFER_SORTS, default_sort="-offered" if history else "deadline")
    for cand in ctx["page"]:
        cand.client = client_view(cand)
    narrowed = form.is_valid() and any(form.cleaned_data.get(k) for k in ("q", "product", "status"))
    pending = ctx["page"].paginator.count if not (history or narrowed) else offers.filter(status=C.OFFERED).count()
    ctx.update(filter={"form": form}, history=history, pending_count=pending)
    return render(request, "dispatch/offer_list.html", ctx)


def _offer_page(request, cand: Candidate, decline_form: DeclineForm):
    app = cand.application
    can_answer = services.offer_answerable(user=request.user, cand=cand)
    return render(request, "dispatch/offer_detail.html", {
        "cand": cand, "app": app, "client": client_view(cand, viewer=request.user), "decline_form": decline_form, "can_answer": can_answer,
        "hold_amount": app.product.hold_amount, "region_path": region_path_name(app.region)})


@area_view("dispatch.view_case")
def offer_detail(request, pk: int):
    return _offer_page(request, selectors.offer_get_for_user(user=request.user, pk=pk), DeclineForm())


@require_POST
@area_view("dispatch.answer_case")
def offer_accept(request, pk: int):
    cand = selectors.offer_get_for_user(user=request.user, pk=pk)

    def accept():
        answered = services.offer_accept(actor=request.user, candidate_id=cand.pk)
        if answered.status == C.REFUSED:  # answered, as a refusal: the reason is what the user must act on
            raise ValidationError(_("受理失败：%(r)s") % {"r": answered.refuse_reason})
        return answered

    return run_step(request, accept, redirect_to=reverse("inst:offer_detail", args=[pk]),
                    success=lambda done: _("已受理，已冻结头寸 %(a)s。请等待客户确认选择。") % {
                        "a": format_cny(done.application.product.hold_amount)})


@require_POST
@area_view("dispatch.answer_case")
def offer_decline(request, pk: int):
    cand = selectors.offer_get_for_user(user=request.user, pk=pk)
    form = DeclineForm(request.POST)
    if form.is_valid():  # refused: answered meanwhile, or too late — the form is gone from the page
        return run_step(request, services.offer_decline, actor=request.user, candidate_id=cand.pk,
                        code=form.cleaned_data["code"], text=form.cleaned_data["text"],
                        success=_("已拒绝派单 %(no)s。") % {"no": cand.application.order_no},
                        redirect_to=reverse("inst:offer_detail", args=[pk]), done_to=lambda _c: reverse("inst:offer_list"))
    return _offer_page(request, cand, form)


# ---- institution: its dispatch profile (派发参数详情) ----

def _percent(value) -> str:
    return "—" if value is None else percent_text(value, 1)


def _duration(seconds) -> str:
    if seconds is None:
        return "—"
    hours, minutes = divmod(int(seconds) // 60, 60)
    return f"{hours} 小时 {minutes} 分" if hours else f"{minutes} 分"


def _margin_cover(finance: dict, products) -> list[dict]:
    """Per business category: the per-case hold and how many more cases the free position covers (保证金头寸)."""
    rows = []
    for product in products:
        hold = product.hold_amount
        cover = int(finance["position"] // hold) if hold > 0 and finance["position"] > 0 else (None if hold <= 0 else 0)
        rows.append({"product": product, "hold": hold, "cover": cover, "short": hold > 0 and finance["position"] < hold})
    return rows


def _profile_context(profile) -> dict:
    """What the institution's page and the platform's edit page both show about a profile."""
    from apps.positions.selectors import institution_finance_summary
    from apps.regions.selectors import regions_summary

    weights = params_get_many(WEIGHT_KEYS)
    areas = list(profile.areas.select_related("region").order_by("region__code"))
    products = list(Product.objects.filter(pk__in=profile.product_ids).order_by("pk"))
    finance = institution_finance_summary(profile.institution)
    return {
        "profile": profile, "abandon_rate": _percent(profile.abandon_rate),
        "success_rate": _percent(profile.success_rate), "answer_median": _duration(profile.answer_median_s),
        "client_type_labels": [ClientType(t).label for t in profile.client_types if t in ClientType.values],
        "score_rows": _score_rows(profile.score_parts or {}, weights),
        "areas": areas, "areas_summary": regions_summary([a.region for a in areas]),
        "products": products, "finance": finance, "margin_cover": _margin_cover(finance, products),
        "lost_recent": LostCase.objects.filter(institution_id=profile.institution_id)
        .select_related("application__product")[:10],
    }


def _own_profile_page(request, *, form=None, request_form=None):
    org = request.user.organization
    services.profile_ensure(org)
    profile = selectors.profile_for_institution(org)
    ctx = _profile_context(profile)
    ctx.update(
        form=form or ProfileForm.for_profile(profile), request_form=request_form or CategoryRequestForm(
            initial={"products": profile.product_ids}),
        requests=CategoryRequest.objects.filter(institution_id=org.root_id)
        .select_related("requested_by", "decided_by").prefetch_related("products")[:20])
    return render(request, "dispatch/profile.html", ctx)


@area_view("dispatch.view_own_profile")
def dispatch_profile(request):
    return _own_profile_page(request)


@require_POST
@area_view("dispatch.edit_own_profile")
def dispatch_profile_edit(request):
    form = ProfileForm(request.POST)
    return _submit(request, form, lambda d: services.profile_update(
        actor=request.user, profile=services.profile_ensure(request.user.organization), **d),
        _("派发参数已保存。"), "inst:dispatch_profile") or _own_profile_page(request, form=form)


@require_POST
@area_view("dispatch.edit_own_profile")
def category_request_new(request):
    form = CategoryRequestForm(request.POST)
    return _submit(request, form, lambda d: services.category_request_create(
        actor=request.user, products=list(d["products"]), note=d["note"].strip()),
        _("业务类别变更申请已提交，数银审核后生效。"), "inst:dispatch_profile") or _own_profile_page(
        request, request_form=form)


# ---- 数银: monitor (派发监控) ----

MONITOR_SORTS = {"started": "started_at", "deadline": "current_deadline", "amount": "application__amount",
                 "order": "application__order_no"}


@area_view("dispatch.intervene")
def dispatch_monitor(request):
    now = clock.now()
    first_open = Candidate.objects.filter(dispatch=OuterRef("pk"), status=C.OFFERED).order_by("deadline")
    qs = (selectors.dispatches_live().filter(application__in=application_list_for_user(user=request.user))
          # the earliest deadline of an institution still pending, else the client's
          .annotate(current_deadline=Coalesce(Subquery(first_open.values("deadline")[:1]), F("choice_deadline")))
          .prefetch_related(selectors.pending_prefetch()))
    form = MonitorFilter(request.GET or None)
    if form.is_valid():
        wanted = form.cleaned_data
        if wanted["q"]:
            qs = qs.filter(application__order_no__icontains=wanted["q"].strip())
        if wanted["status"]:
            qs = qs.filter(status=wanted["status"])
        if wanted["overdue"]:
            qs = qs.filter(current_deadline__lt=now)
    ctx = list_context(request, qs, sorts=MONITOR_SORTS, default_sort="deadline")
    names = _level_names(dispatch.level for dispatch in ctx["page"])
    for dispatch in ctx["page"]:
        dispatch.level_label = names[dispatch.level]
        dispatch.overdue = dispatch.current_deadline is not None and dispatch.current_deadline < now
    ctx.update(filter={"form": form}, max_rounds=param_get("dispatch.max_rounds"))
    return render(request, "dispatch/monitor.html", ctx)


# ---- 数银: the dispatch record of an application and the 跟单 interventions ----

def _record_page(request, app, **forms):
    attempts = selectors.dispatch_record(app)
    names = _level_names(d.level for d in attempts)
    live = None
    for d in attempts:
        d.level_label = names[d.level]
        for cand in d.candidates.all():
            cand.score_rows = _score_rows(cand.parts or {})
        if d.status in Dispatch.LIVE:
            live = d
    live_round = next((r for r in live.rounds.all() if r.closed_at is None), None) if live else None
    ctx = {"app": app, "attempts": attempts, "live": live, "live_round": live_round,
           "lost": LostCase.objects.filter(application=app).select_related("institution")}
    if live is not None and request.user.has_perm("dispatch.intervene"):
        ctx.update(_intervention_forms(live, attempts, forms))
    return render(request, "dispatch/record.html", ctx)


def _intervention_forms(live, attempts, bound: dict) -> dict:
    """The 跟单 forms for a live dispatch (the ones in ``bound`` are shown again with their errors)."""
    initial = {"dispatch": live.pk}
    out = {"extend_form": bound.get("extend_form") or WindowExtendForm(initial=initial), "check": bound.get("check")}
    if live.status == Dispatch.Status.RUNNING:
        tried = {c.institution_id for d in attempts for c in d.candidates.all()}
        out.update(add_form=bound.get("add_form") or CandidateAddForm(initial=initial, exclude_ids=tried),
                   close_form=bound.get("close_form") or RoundCloseForm(initial=initial))
    return out


@area_view("dispatch.view_dispatch")
def dispatch_record(request, app_pk: int):
    return _record_page(request, application_get_for_user(user=request.user, pk=app_pk))


def _intervene(request, app_pk: int, form, key: str, act, success: str):
    """One 跟单 intervention: the form names the dispatch it was shown for, which must be this application's;
    a rule the service enforces comes back as an error on the form, the page shown again."""
    app = application_get_for_user(user=request.user, pk=app_pk)

    def checked(d):
        dispatch_id = app.dispatches.filter(pk=d["dispatch"]).values_list("pk", flat=True).first()
        if dispatch_id is None:
            raise ValidationError(_("该派发已结束，请刷新页面。"))
        act(dispatch_id, d)

    return _submit(request, form, checked, success, "ops:dispatch_record", app_pk=app.pk) or _record_page(
        request, app, **{key: form})


def _eligibility(request, app_pk: int):
    """The "检查派发规则" button of the manual addition: the rule check (selectors.eligibility_check) for the
    chosen institution, shown above the form kept as it was typed; nothing changes."""
    app = application_get_for_user(user=request.user, pk=app_pk)
    live = selectors.live_dispatch(app)
    institution = Organization.objects.filter(
        pk=request.POST.get("institution") if re.fullmatch(r"[0-9]+", request.POST.get("institution", "")) else None,
        kind=Organization.Kind.INSTITUTION, parent__isnull=True).first()
    check = None
    if live is not None and institution is not None:
        check = (institution, selectors.eligibility_check(application=app, institution=institution, level=live.level))
    form = CandidateAddForm(initial={k: request.POST.get(k) for k in ("dispatch", "institution", "reason")})
    if institution is None:
        messages.error(request, _("请先选择要检查的机构。"))
    return _record_page(request, app, add_form=form, check=check)


@require_POST
@area_view("dispatch.intervene")
def dispatch_candidate_add(request, app_pk: int):
    if "check" in request.POST:
        return _eligibility(request, app_pk)
    form = CandidateAddForm(request.POST)
    return _intervene(request, app_pk, form, "add_form", lambda pk, d: services.candidate_add(
        actor=request.user, dispatch_id=pk, institution_id=d["institution"].pk, reason=d["reason"],
        accept_warnings=d["accept_warnings"]), _("已人工加派，机构将收到派单提醒。"))


@require_POST
@area_view("dispatch.intervene")
def dispatch_window_extend(request, app_pk: int):
    form = WindowExtendForm(request.POST)
    return _intervene(request, app_pk, form, "extend_form", lambda pk, d: services.window_extend(
        actor=request.user, dispatch_id=pk, minutes=d["minutes"], reason=d["reason"],
        target=d["target"] or "offers"), _("时限已延长。"))


@require_POST
@area_view("dispatch.intervene")
def dispatch_round_close(request, app_pk: int):
    form = RoundCloseForm(request.POST)
    return _intervene(request, app_pk, form, "close_form", lambda pk, d: services.round_close_early(
        actor=request.user, dispatch_id=pk, reason=d["reason"]), _("本轮已提前结束。"))


# ---- 贷审: redispatch (待重新派发) ----

def _last_dispatch(field: str):
    return Subquery(Dispatch.objects.filter(application=OuterRef("pk")).order_by("-attempt").values(field)[:1])


@area_view("dispatch.redispatch")
def redispatch_queue(request):
    qs = (application_list_for_user(user=request.user).filter(status=AppStatus.REDISPATCH)
          .select_related("member", "product", "region", "cm")
          .annotate(last_attempt=_last_dispatch("attempt"), last_level=_last_dispatch("level"),
                    last_status=_last_dispatch("status"), last_outcome=_last_dispatch("outcome"),
                    last_closed_at=_last_dispatch("closed_at")))
    ctx = list_context(request, qs, sorts={"closed": "last_closed_at", "amount": "amount", "order": "order_no"},
                       default_sort="closed")
    names = _level_names(a.last_level for a in ctx["page"] if a.last_level)
    statuses = dict(Dispatch.Status.choices)
    for a in ctx["page"]:
        a.last_level_label = names.get(a.last_level, "")
        a.last_status_label = statuses.get(a.last_status, "")
    return render(request, "dispatch/redispatch_queue.html", ctx)


@area_view("dispatch.redispatch")
def redispatch(request, app_pk: int):
    app = application_get_for_user(user=request.user, pk=app_pk)
    levels, default = services.redispatch_levels(app)
    names = _level_names(levels)
    form = RedispatchForm(request.POST or None, levels=[(code, names[code]) for code in levels],
                          initial={"level": default})
    if request.method == "POST":
        done = _submit(request, form, lambda d: services.redispatch(
            actor=request.user, application_id=app.pk, level=d["level"], comment=d["comment"].strip()),
            lambda d: _("已按“%(l)s”重新派发。") % {"l": names[d["level"]]}, "ops:dispatch_record", app_pk=app.pk)
        if done:
            return done
    last = app.dispatches.order_by("-attempt").first()
    return render(request, "dispatch/redispatch.html", {
        "app": app, "form": form, "last": last, "last_level": selectors.level_name(last.level) if last else "",
        "can_redispatch": services.redispatch_allowed(app)})


# ---- 客户经理: the client's choice (待客户确认机构) ----

def _choosing(field: str):
    """A field of the live dispatch: the choice is open from the first acceptance, while offers may still run."""
    return Subquery(Dispatch.objects.filter(application=OuterRef("pk"), status__in=Dispatch.LIVE)
                    .values(field)[:1])


@area_view("dispatch.record_choice")
def choice_queue(request):
    qs = (application_list_for_user(user=request.user).filter(cm=request.user, status=AppStatus.AWAITING_CHOICE)
          .select_related("member", "product", "region")
          .annotate(choice_deadline=_choosing("choice_deadline"), accepted=_choosing("accepted_count")))
    ctx = list_context(request, qs, sorts={"deadline": "choice_deadline", "amount": "amount", "order": "order_no"},
                       default_sort="deadline")
    return render(request, "dispatch/choice_queue.html", ctx)


@area_view("dispatch.record_choice")
def dispatch_choice(request, app_pk: int):
    # only the application's own customer manager records the client's choice (others: 404)
    app = get_object_or_404(application_list_for_user(user=request.user).filter(cm=request.user)
                            .select_related("member", "product", "region"), pk=app_pk)
    dispatch = selectors.live_dispatch(app)
    choosing = dispatch is not None and dispatch.accepted_count > 0 and dispatch.choice_deadline is not None
    accepted = list(dispatch.candidates.filter(status=C.ACCEPTED).select_related("institution")
                    .order_by("answered_at", "pk")) if choosing else []
    pending = selectors.pending_offers(dispatch) if dispatch is not None else []
    form = ChoiceForm(request.POST or None, candidates=accepted)
    if request.method == "POST":
        done = _submit(request, form, lambda d: services.client_choose(
            actor=request.user, application_id=app.pk, candidate_id=form.candidate_id(), note=d["note"].strip()),
            lambda d: _("已录入客户选择。") if form.candidate_id() else _("已录入客户拒绝全部机构，申请退回贷审处理。"),
            "ops:application_detail", pk=app.pk)
        if done:
            return done
    return render(request, "dispatch/choice.html", {"app": app, "dispatch": dispatch, "choosing": choosing,
                                                    "accepted": accepted, "pending": pending, "form": form})


# ---- platform: institutions' profiles, category requests, clusters ----

PROFILE_SORTS = {"name": "name", "score": "dispatch_profile__score", "active": "dispatch_profile__active_cases"}


@area_view("dispatch.manage_profiles")
def profile_list(request):
    qs = Organization.objects.filter(kind=Organization.Kind.INSTITUTION, parent__isnull=True).select_related(
        "dispatch_profile")
    form = ProfileListFilter(request.GET or None)
    if form.is_valid():
        d = form.cleaned_data
        if d["q"]:
            qs = qs.filter(name__icontains=d["q"].strip())
        qs = {"active": qs.filter(dispatch_profile__is_active=True),
              "paused": qs.filter(dispatch_profile__is_active=False),
              "flagged": qs.filter(dispatch_profile__isnull=False).exclude(dispatch_profile__health_notes=[]),
              "missing": qs.filter(dispatch_profile__isnull=True)}.get(d["state"], qs)
    ctx = list_context(request, qs, sorts=PROFILE_SORTS, default_sort="name")
    for org in ctx["page"]:
        org.profile = getattr(org, "dispatch_profile", None)
    ctx["filter"] = {"form": form}
    return render(request, "dispatch/profile_list.html", ctx)


@area_view("dispatch.manage_profiles")
def profile_edit(request, pk: int):
    org = get_object_or_404(Organization, pk=pk, kind=Organization.Kind.INSTITUTION, parent__isnull=True)
    profile = services.profile_ensure(org)
    form = PlatformProfileForm.for_profile(profile, request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        with transaction.atomic():
            services.profile_update(actor=request.user, profile=profile, capacity=d["capacity"],
                                    client_types=d["client_types"], is_active=d["is_active"])
            services.profile_areas_set(profile=profile, regions=d["areas"])
            services.profile_products_set(profile=profile, products=d["products"])
        messages.success(request, _("“%(n)s”的派发参数已保存。") % {"n": org.name})
        return redirect("platform:profile_list")
    ctx = _profile_context(selectors.profile_for_institution(org))
    ctx.update(org=org, form=form)
    return render(request, "dispatch/profile_edit.html", ctx)


@area_view("dispatch.manage_profiles")
def category_requests(request):
    status = request.GET.get("status", CategoryRequest.Status.PENDING)
    qs = (CategoryRequest.objects.select_related("institution__dispatch_profile", "requested_by", "decided_by")
          .prefetch_related("products", "institution__dispatch_profile__products"))
    if status in CategoryRequest.Status.values:
        qs = qs.filter(status=status)
    ctx = list_context(request, qs, sorts={"time": "requested_at"}, default_sort="-time")
    for req in ctx["page"]:
        profile = getattr(req.institution, "dispatch_profile", None)
        req.current_products = list(profile.products.all()) if profile else []
    ctx.update(status=status, statuses=CategoryRequest.Status.choices, decision_form=DecisionForm())
    return render(request, "dispatch/category_requests.html", ctx)


@require_POST
@area_view("dispatch.manage_profiles")
def category_request_decide(request, pk: int):
    form = DecisionForm(request.POST)
    form.is_valid()
    approve = request.POST.get("decision") == "approve"
    return run_step(request, services.category_request_decide, actor=request.user, request_id=pk, approve=approve,
                    note=form.cleaned_data.get("note", ""), redirect_to="platform:category_requests",
                    success=_("已通过，机构的业务类别已更新。") if approve else _("已驳回该申请。"))


@area_view("dispatch.manage_profiles")
def cluster_list(request):
    levels = selectors.cluster_levels()
    clusters = list(Cluster.objects.prefetch_related("regions"))
    for cluster in clusters:
        cluster.enabled = cluster.level in levels
    return render(request, "dispatch/cluster_list.html", {
        "clusters": clusters, "levels": [(code, selectors.level_name(code)) for code in levels],
        "levels_raw": param_get("dispatch.cluster_levels")})


def _cluster_edit(request, cluster: Cluster):
    form = ClusterForm(request.POST or None, instance=cluster)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("区域集群“%(n)s”已保存。") % {"n": form.instance.name})
        return redirect("platform:cluster_list")
    return render(request, "dispatch/cluster_form.html", {"form": form, "cluster": cluster})


@area_view("dispatch.manage_profiles")
def cluster_create(request):
    return _cluster_edit(request, Cluster())


@area_view("dispatch.manage_profiles")
def cluster_edit(request, pk: int):
    return _cluster_edit(request, get_object_or_404(Cluster, pk=pk))


@require_POST
@area_view("dispatch.manage_profiles")
def cluster_delete(request, pk: int):
    cluster = get_object_or_404(Cluster, pk=pk)
    cluster.delete()
    messages.success(request, _("区域集群“%(n)s”已删除。") % {"n": cluster.name})
    return redirect("platform:cluster_list")
