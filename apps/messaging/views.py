from django.contrib import messages as flash
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.accounts.permissions import AREA_PERMS, area_view
from apps.common.views import list_context

from . import selectors, services
from .filters import MessageFilter


def _area_perm(view):
    """Everyone who may enter an area has an inbox there; the area's own code guards it."""

    def wrapper(request, *args, **kwargs):
        return area_view(AREA_PERMS[request.area])(view)(request, *args, **kwargs)

    wrapper.__name__ = view.__name__
    wrapper.required_perms = ("accounts.access_<area>",)
    return wrapper


@_area_perm
def message_list(request):
    qs = selectors.message_list_for_user(user=request.user)
    ctx = list_context(request, qs, sorts={"time": "id"}, default_sort="-time",
                       filterset=MessageFilter(request.GET, queryset=qs))
    return render(request, "messaging/message_list.html", ctx)


@_area_perm
def message_detail(request, pk: int):
    msg = selectors.message_get_for_user(user=request.user, pk=pk)
    if not msg.is_read:
        services.message_mark_read(user=request.user, message_id=msg.pk)
    return render(request, "messaging/message_detail.html", {"obj": msg, "safe_link": _safe(request, msg.link)})


@require_POST
@_area_perm
def message_mark_all_read(request):
    count = services.message_mark_all_read(user=request.user)
    flash.success(request, _("已将 %(n)d 条消息标为已读。") % {"n": count})
    return redirect(f"{request.area}:message_list")


def _safe(request, link: str) -> str:
    return link if link and url_has_allowed_host_and_scheme(link, allowed_hosts={request.get_host()}) else ""
