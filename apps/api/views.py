"""机构后台 · API密钥: the institution's administrator creates keys (the secret shown once) and revokes them."""
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.accounts.permissions import area_view

from . import services
from .forms import ApiKeyForm


@area_view("api.manage_apikey")
def apikey_list(request):
    form = ApiKeyForm(request.POST or None, grantable=services.key_grantable_codes())
    created = None
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            key, raw = services.key_create(actor=request.user, name=d["name"], permission_codes=d["permissions"],
                                           rate_per_minute=d["rate_per_minute"])
        except ValidationError as exc:
            form.add_error(None, exc.messages[0])
        else:
            # Shown on this response only (never stored): a reload or the list afterwards no longer has it.
            created = {"key": key, "raw": raw}
            form = ApiKeyForm(grantable=services.key_grantable_codes())
    keys = list(services.keys_for_user(user=request.user))
    from apps.accounts.permcodes import labels_for

    names = labels_for({c for k in keys for c in k.permissions})
    for k in keys:
        k.permission_labels = [names.get(c, c) for c in k.permissions]
    response = render(request, "api/apikey_list.html", {"form": form, "keys": keys, "created": created})
    if created:
        response["Cache-Control"] = "no-store"
    return response


@require_POST
@area_view("api.manage_apikey")
def apikey_revoke(request, pk: int):
    key = services.key_revoke(actor=request.user, key_id=pk)
    messages.success(request, _("密钥“%(n)s”已吊销，使用它的请求将立即被拒绝（401）。") % {"n": key.name})
    return redirect("inst:apikey_list")
