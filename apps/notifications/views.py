from django.conf import settings
from django.contrib import messages as flash
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from apps.accounts.access import INSTITUTION_ROLE_TEMPLATES, PLATFORM_ROLES
from apps.accounts.models import Organization
from apps.accounts.permissions import AREA_PERMS, area_view
from apps.common.views import list_context

from . import mailbox_reader, services
from .events import PERSONAL_CHANNELS
from .filters import DeliveryFilter
from .forms import ChannelGridForm, PlatformRobotForm, RobotForm
from .models import Delivery, Robot


def _area_perm(view):
    """Everyone who may enter an area chooses their own channels there; the area's own code guards it."""

    def wrapper(request, *args, **kwargs):
        return area_view(AREA_PERMS[request.area])(view)(request, *args, **kwargs)

    wrapper.__name__ = view.__name__
    wrapper.required_perms = ("accounts.access_<area>",)
    return wrapper


# ---- 通知设置 (every area) ----
@_area_perm
def notification_settings(request):
    user = request.user
    if request.method == "POST":
        form = ChannelGridForm(request.POST)
        if form.is_valid():
            services.preferences_save(user=user, selected=form.pairs())
            flash.success(request, "通知设置已保存。")
            return redirect(f"{request.area}:notification_settings")
    return render(request, "notifications/settings.html", {
        "rows": services.preference_table(user=user), "channels": PERSONAL_CHANNELS,
        "email": services.address_of(user, "email"), "mobile": user.mobile})


# ---- 通知默认设置 (platform) ----
ROLE_SPECS = PLATFORM_ROLES + INSTITUTION_ROLE_TEMPLATES


@area_view("notifications.manage_defaults")
def notification_defaults(request):
    roles = [(spec.code, spec.name, "机构" if spec.area == "inst" else "数银") for spec in ROLE_SPECS]
    codes = [code for code, *_rest in roles]
    role = request.POST.get("role") or request.GET.get("role") or codes[0]
    if role not in codes:
        raise Http404("unknown role")
    if request.method == "POST":
        form = ChannelGridForm(request.POST)
        if form.is_valid():
            services.role_defaults_save(role_code=role, selected=form.pairs())
            flash.success(request, "该角色的通知默认设置已保存；本人已修改过的设置不受影响。")
            return redirect(f"{request.path}?role={role}")
    return render(request, "notifications/defaults.html", {
        "roles": roles, "role": role, "role_name": {c: n for c, n, _a in roles}[role],
        "rows": services.role_default_table(role_code=role), "channels": PERSONAL_CHANNELS})


# ---- 群机器人 (an institution's own; 数银's teams' on the platform) ----
def _robots(request):
    if request.area == "inst":
        return Robot.objects.filter(organization_id=request.user.organization.root_id)
    return Robot.objects.filter(organization__kind=Organization.Kind.PLATFORM)


def _robot_form(request, data=None, initial=None):
    return (PlatformRobotForm if request.area == "platform" else RobotForm)(data, initial=initial)


@area_view("notifications.manage_robot")
def robot_list(request):
    robots = _robots(request).select_related("organization").order_by("pk")
    return render(request, "notifications/robot_list.html", {"robots": robots})


def _robot_save(request, robot=None):
    form = _robot_form(request, request.POST)
    if form.is_valid():
        d = form.cleaned_data
        org = d["organization"] if request.area == "platform" else Organization.objects.get(
            pk=request.user.organization.root_id)
        try:
            services.robot_save(actor=request.user, organization=org, kind=d["kind"], name=d["name"],
                                webhook_url=d["webhook_url"], secret=d["secret"], events=d["events"],
                                is_active=d["is_active"], robot=robot)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            flash.success(request, "群机器人已保存。可点“发送测试消息”确认群里能收到。")
            return None, redirect(f"{request.area}:robot_list")
    return form, None


@area_view("notifications.manage_robot")
def robot_create(request):
    form = _robot_form(request)
    if request.method == "POST":
        form, done = _robot_save(request)
        if done:
            return done
    return render(request, "notifications/robot_form.html", {"form": form})


@area_view("notifications.manage_robot")
def robot_edit(request, pk: int):
    robot = get_object_or_404(_robots(request), pk=pk)
    form = _robot_form(request, initial={"kind": robot.kind, "name": robot.name, "webhook_url": robot.webhook_url,
                                         "events": robot.events, "is_active": robot.is_active,
                                         "organization": robot.organization_id})
    if request.method == "POST":
        form, done = _robot_save(request, robot)
        if done:
            return done
    return render(request, "notifications/robot_form.html", {"form": form, "editing": robot})


@require_POST
@area_view("notifications.manage_robot")
def robot_delete(request, pk: int):
    robot = get_object_or_404(_robots(request), pk=pk)
    robot.delete()
    flash.success(request, f"群机器人“{robot.name}”已删除。")
    return redirect(f"{request.area}:robot_list")


@require_POST
@area_view("notifications.manage_robot")
def robot_test(request, pk: int):
    robot = get_object_or_404(_robots(request), pk=pk)
    services.robot_test(robot=robot, actor=request.user)
    flash.success(request, "测试消息已排队发送，结果见发送记录。")
    return redirect(f"{request.area}:robot_list")


# ---- 通知发送记录 (platform) ----
@area_view("notifications.view_delivery")
def delivery_list(request):
    qs = Delivery.objects.select_related("user", "robot")
    ctx = list_context(request, qs, sorts={"time": "id"}, default_sort="-time",
                       filterset=DeliveryFilter(request.GET, queryset=qs), deferred=True)
    return render(request, "notifications/delivery_list.html", ctx)


# ---- 演示邮箱 (a declared demo only: routed only when DEMO_MAILBOX is on) ----
@area_view("notifications.view_delivery")
def demo_mailbox(request):
    if not settings.DEMO_MAILBOX:
        raise Http404("demo mailbox is off")
    to = request.GET.get("to", "").strip()
    return render(request, "notifications/mailbox.html", {"mails": mailbox_reader.mail_list(to=to)[:200], "to": to})


@area_view("notifications.view_delivery")
def demo_mail(request, key: str):
    if not settings.DEMO_MAILBOX:
        raise Http404("demo mailbox is off")
    return render(request, "notifications/mail_detail.html", {"mail": mailbox_reader.mail_get(key)})
