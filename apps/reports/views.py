"""Business statistics, exports with progress and downloads, the regional ranking and the operable market."""
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.accounts.models import Organization, User
from apps.accounts.permissions import area_view
from apps.common.steps import run_step
from apps.common.views import paginate
from shuyin.db_routers import reporting_reads

from . import definitions, selectors, services
from .forms import ReportFilterForm
from .models import ExportJob, Ranking


def _report(request):
    return definitions.report_for_area(request.area)


def _filter_form(request, report):
    if report.area == "ops":
        cms = list(User.objects.filter(is_active=True, roles__code="cm", roles__organization__isnull=True)
                   .values_list("pk", "real_name").distinct())
    else:  # the institution's staff this user may see (an officer with scope 仅本人: only themselves)
        from apps.accounts.selectors import user_list_for_user

        cms = list(user_list_for_user(user=request.user).order_by("real_name", "pk")
                   .values_list("pk", "real_name").distinct())
    data = request.GET if request.GET else selectors.recent_days()
    return ReportFilterForm(data, report=report, user=request.user, cms=cms)


@area_view("applications.view_application")
def ops_report_stats(request):
    return _stats(request)


@area_view("dispatch.view_case")
def inst_report_stats(request):
    return _stats(request)


@reporting_reads()  # aggregates over the scoped rows: read from the reporting replica when there is one
def _stats(request):
    report = _report(request)
    form = _filter_form(request, report)
    ctx = {"form": form, "report": report}
    if form.is_valid():
        params = form.params()
        stats = (selectors.ops_stats if report.area == "ops" else selectors.inst_stats)(report, request.user, params)
        ctx.update(stats=stats, params=params,
                   chart=selectors.chart(stats["trend"], start=params.get("date_from"), end=params.get("date_to")),
                   rows=paginate(request, report.queryset(request.user, params), default_size=20))
    return render(request, "reports/stats.html", ctx)


@require_POST
@area_view("reports.export_report")
def export_create(request):
    report = _report(request)
    form = ReportFilterForm(request.POST, report=report, user=request.user)
    if not form.is_valid():
        messages.error(request, "；".join(e for errs in form.errors.values() for e in errs))
        return redirect(f"{request.area}:report_stats")
    return run_step(request, services.export_request, user=request.user, report_code=report.code,
                    fmt=request.POST.get("fmt", ""), params=form.params(), success=_("已提交导出任务，生成完成后可在此下载。"),
                    redirect_to=f"{request.area}:report_stats", done_to=lambda _e: reverse(f"{request.area}:export_list"))


@area_view("reports.export_report")
def export_list(request):
    jobs = paginate(request, selectors.jobs_for_user(user=request.user), default_size=20)
    running = any(j.status in (ExportJob.Status.QUEUED, ExportJob.Status.RUNNING) for j in jobs)
    template = "reports/_export_rows.html" if request.htmx else "reports/export_list.html"
    return render(request, template, {"page": jobs, "running": running})


@area_view("reports.export_report")
def export_download(request, pk: int):
    job = get_object_or_404(selectors.jobs_for_user(user=request.user), pk=pk, status=ExportJob.Status.DONE)
    path = (Path(settings.EXPORT_ROOT) / job.path).resolve()
    if not path.is_file() or Path(settings.EXPORT_ROOT).resolve() not in path.parents:
        raise Http404
    return FileResponse(open(path, "rb"), as_attachment=True, filename=f"{job.title}.{job.fmt}")


@area_view("reports.view_ranking")
@reporting_reads()  # the hourly ranking table: replica lag does not matter
def ranking(request):
    own = request.user.organization.root_id
    data = selectors.ranking_for_institution(own)
    # why the page may be empty: the ranking groups institutions by the city recorded in 资料修改
    has_region = data or Organization.objects.filter(pk=own, region__isnull=False).exists()
    return render(request, "reports/ranking.html", {"data": data, "own": own, "metrics": Ranking.Metric.choices,
                                                    "scopes": Ranking.Scope.choices, "has_region": has_region})


@area_view("dispatch.view_case")
def market(request):
    """可操作行情: the institution's history, cases that suit it now, and its dispatch figures."""
    from apps.dispatch.selectors import offers_for_user, profile_for_institution

    org = request.user.organization
    profile = profile_for_institution(org)
    history = paginate(request, offers_for_user(user=request.user).order_by("-offered_at", "-pk"), default_size=15)
    suitable = selectors.suitable_now(profile) if profile else []
    return render(request, "reports/market.html", {"profile": profile, "history": history, "suitable": suitable})
