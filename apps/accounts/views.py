from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.common.cards import cards_for
from apps.common.models import OperationLog
from apps.common.views import csv_stream, list_context

from . import selectors
from .context_processors import AREA_THEMES
from .filters import LoginLogFilter, OperationLogFilter, OrganizationFilter, UserFilter
from .forms import AreaAuthenticationForm
from .models import Area, LoginLog
from .permissions import area_view
from .throttle import ACCOUNT, ADDRESS, cooloff_minutes


def landing(request):
    areas = [{"code": a.value, "label": a.label, "url": reverse(f"{a.value}:home"), **AREA_THEMES[a]} for a in Area]
    return render(request, "landing.html", {"areas": areas})


class AreaLoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    form_class = AreaAuthenticationForm
    redirect_authenticated_user = False

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "area": self.request.area}

    def get_default_redirect_url(self):
        return reverse(f"{self.request.area}:home")

    def form_valid(self, form):
        user = form.get_user()
        previous = user.last_login
        response = super().form_valid(form)
        type(user).objects.filter(pk=user.pk).update(previous_login=previous)
        return response

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["expired"] = "expired" in self.request.GET
        return ctx


def lockout_response(request, credentials, *args, **kwargs):
    """django-axes: shown instead of the login form while an account is locked."""
    area = getattr(request, "area", "") or "ops"
    form = AreaAuthenticationForm(request, area=area)
    minutes = {"m": cooloff_minutes()}
    reason = getattr(request, "login_lock", None)
    if reason == ACCOUNT:
        message = _("该账号在多个IP累计登录失败次数过多，账号已临时锁定 %(m)s 分钟，期间从任何IP都不能登录；"
                    "已通过站内信通知本人和管理员。如需立即解锁请联系管理员重置密码。") % minutes
    elif reason == ADDRESS:
        message = _("您所在的IP登录失败次数过多，已暂停从该IP登录 %(m)s 分钟，请稍后再试或联系管理员。") % minutes
    else:
        message = _("登录失败次数过多，账号已临时锁定 %(m)s 分钟。如需立即解锁请联系管理员。") % minutes
    return render(request, "accounts/login.html", {
        "form": form, "area": area, "area_theme": AREA_THEMES[area], "locked_message": message,
    }, status=429)


@require_POST
def logout_view(request):
    from django.contrib.auth import logout

    area = request.area
    logout(request)
    messages.info(request, _("您已安全退出。"))
    return redirect(f"{area}:login")


@area_view()
def home(request):
    template = {Area.OPS: "ops/home.html", Area.PLATFORM: "platform/home.html", Area.INST: "inst/home.html"}
    ctx = {"cards": cards_for(request)}
    if request.area == Area.PLATFORM:
        from apps.common.beat_health import beat_status

        ctx["beats"] = beat_status()
    return render(request, template[request.area], ctx)


USER_SORTS = {"username": "username", "real_name": "real_name", "org": "organization__path", "joined": "date_joined"}


@area_view("accounts.view_user")
def user_list(request):
    qs = selectors.user_list_for_user(user=request.user)
    ctx = list_context(request, qs, sorts=USER_SORTS, default_sort="username",
                       filterset=UserFilter(request.GET, queryset=qs))
    return render(request, "accounts/user_list.html", ctx)


@area_view("accounts.view_user")
def user_detail(request, pk: int):
    obj = selectors.user_get_for_user(user=request.user, pk=pk)
    return render(request, "accounts/user_detail.html", {"obj": obj})


ORG_SORTS = {"name": "name", "path": "path", "created": "created_at"}


@area_view("accounts.view_organization")
def organization_list(request):
    qs = selectors.organization_list_for_user(user=request.user).select_related("region", "parent")
    if request.area == Area.PLATFORM:
        qs = qs.filter(kind="institution")
    ctx = list_context(request, qs, sorts=ORG_SORTS, default_sort="path",
                       filterset=OrganizationFilter(request.GET, queryset=qs))
    return render(request, "accounts/organization_list.html", ctx)


@area_view("accounts.view_organization")
def organization_detail(request, pk: int):
    obj = selectors.organization_get_for_user(user=request.user, pk=pk)
    return render(request, "accounts/organization_detail.html", {"obj": obj})


def _local(dt) -> str:
    return timezone.localtime(dt).strftime("%Y-%m-%d %H:%M:%S")


AREA_LABELS = dict(Area.choices)


def _label_areas(page) -> None:
    for log in page:  # the page's rows, read once here and kept for the template
        log.area_label = AREA_LABELS.get(log.area, log.area)


@area_view("common.view_operationlog")
def operation_log(request):
    qs = OperationLog.objects.select_related("user")
    if request.GET.get("export") == "csv":
        rows = OperationLogFilter(request.GET, queryset=OperationLog.objects.all()).qs.order_by("-id").values_list(
            "created_at", "username", "user__real_name", "area", "module", "action", "target", "success", "ip",
            "path")
        return csv_stream("操作日志.csv", ["时间", "操作人账号", "操作人", "区域", "系统模块", "操作类型", "操作对象",
                                          "结果", "操作地址", "路径"],
                          ((_local(r[0]), r[1], r[2] or "", AREA_LABELS.get(r[3], r[3]), r[4], r[5], r[6],
                            "成功" if r[7] else "失败", r[8] or "", r[9]) for r in rows.iterator()))
    ctx = list_context(request, qs, sorts={"time": "created_at", "user": "username"}, default_sort="-time",
                       filterset=OperationLogFilter(request.GET, queryset=qs))
    _label_areas(ctx["page"])
    return render(request, "accounts/operation_log.html", ctx)


@area_view("accounts.view_loginlog")
def login_log(request):
    qs = LoginLog.objects.select_related("user")
    if request.GET.get("export") == "csv":
        rows = LoginLogFilter(request.GET, queryset=LoginLog.objects.all()).qs.order_by("-id").values_list(
            "created_at", "username", "user__real_name", "area", "success", "reason", "ip", "user_agent")
        return csv_stream("登录日志.csv", ["时间", "账号", "姓名", "登录入口", "结果", "说明", "登录地址", "浏览器"],
                          ((_local(r[0]), r[1], r[2] or "", AREA_LABELS.get(r[3], r[3]),
                            "成功" if r[4] else "失败", *r[5:]) for r in rows.iterator()))
    ctx = list_context(request, qs, sorts={"time": "created_at", "user": "username"}, default_sort="-time",
                       filterset=LoginLogFilter(request.GET, queryset=qs))
    _label_areas(ctx["page"])
    return render(request, "accounts/login_log.html", ctx)
