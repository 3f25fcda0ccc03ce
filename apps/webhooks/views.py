"""机构后台 · Webhook 管理: endpoints per event, the signing secret and scheme, the delivery log, replay."""
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.accounts.permissions import area_view

from . import services
from .forms import EndpointForm


def _page(request, form, editing=None, status=200):
    return render(request, "webhooks/webhook_list.html", {
        "form": form, "editing": editing, "endpoints": services.endpoints_with_recent(user=request.user),
        "header": services.SIGNATURE_HEADER}, status=status)


def _save(request, form, editing=None):
    d = form.cleaned_data
    try:
        if editing is None:
            return services.endpoint_create(actor=request.user, url=d["url"], events=d["events"],
                                            description=d["description"])
        return services.endpoint_update(actor=request.user, endpoint_id=editing.pk, url=d["url"], events=d["events"],
                                        description=d["description"], is_active=d["is_active"])
    except ValidationError as exc:
        form.add_error("url" if "地址" in exc.messages[0] else None, exc.messages[0])
        return None


@area_view("webhooks.manage_webhook")
def webhook_list(request):
    form = EndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and _save(request, form):
        messages.success(request, _("端点已添加。请用页面上显示的签名密钥在贵机构的接收服务中验证签名。"))
        return redirect("inst:webhook_list")
    return _page(request, form)


@area_view("webhooks.manage_webhook")
def webhook_edit(request, pk: int):
    endpoint = services.endpoint_get_for_user(user=request.user, pk=pk)
    form = EndpointForm(request.POST or None, initial={"url": endpoint.url, "description": endpoint.description,
                                                       "events": endpoint.events, "is_active": endpoint.is_active})
    if request.method == "POST" and form.is_valid() and _save(request, form, endpoint):
        messages.success(request, _("端点已保存。"))
        return redirect("inst:webhook_list")
    return _page(request, form, editing=endpoint)


@require_POST
@area_view("webhooks.manage_webhook")
def webhook_delete(request, pk: int):
    services.endpoint_delete(actor=request.user, endpoint_id=pk)
    messages.success(request, _("端点已删除，不再向它推送。"))
    return redirect("inst:webhook_list")


@require_POST
@area_view("webhooks.manage_webhook")
def webhook_replay(request, pk: int):
    try:
        services.delivery_replay(actor=request.user, delivery_id=pk)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, _("已重新推送，结果见下方推送记录。"))
    return redirect("inst:webhook_list")
