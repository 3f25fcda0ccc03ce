"""权限编码信息维护: every permission code with its name, module, menus and roles; rename, describe, disable,
add a code for a link-only menu entry, delete a code no view checks (rules in ``apps.accounts.permcodes``)."""
from django.contrib.auth.models import Permission
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.accounts import permcodes
from apps.accounts.permissions import area_view
from apps.common.steps import form_step, run_step
from apps.common.views import paginate

from .forms import PermissionCodeAddForm, PermissionCodeFilterForm, PermissionCodeForm


@area_view("auth.view_permission")
def permission_code_list(request):
    form = PermissionCodeFilterForm(request.GET or None, groups=permcodes.permission_code_groups())
    data = form.cleaned_data if form.is_valid() else {}
    rows = permcodes.permission_code_rows(q=data.get("q", "").strip(), group=data.get("group", ""),
                                          status=data.get("status", ""))
    return render(request, "platform_admin/permission_code_list.html",
                  {"filter": {"form": form}, "page": paginate(request, rows, default_size=50)})


def _permission(pk):
    return get_object_or_404(Permission.objects.select_related("content_type", "code_info"), pk=pk)


@area_view("auth.change_permission")
def permission_code_edit(request, pk: int):
    perm = _permission(pk)
    info = getattr(perm, "code_info", None)
    initial = {"name": permcodes.permission_label(perm, info), "description": info.description if info else "",
               "is_active": info is None or info.is_active}
    form = PermissionCodeForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        done = form_step(request, form, permcodes.permission_code_update, actor=request.user, permission=perm,
                         name=d["name"], description=d["description"], is_active=d["is_active"], field="is_active",
                         success=_("权限编码 %(c)s 已保存，立即生效。") % {"c": permcodes.code_of(perm)},
                         redirect_to="platform:permission_code_list")
        if done:
            return done
    rows = permcodes.permission_code_rows(q=permcodes.code_of(perm))
    row = next((r for r in rows if r["perm"].pk == perm.pk), None)
    return render(request, "platform_admin/permission_code_form.html", {"form": form, "perm": perm, "row": row})


@area_view("auth.add_permission")
def permission_code_create(request):
    form = PermissionCodeAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        done = form_step(request, form, permcodes.permission_code_add, actor=request.user, codename=d["codename"],
                         name=d["name"], description=d["description"], field="codename",
                         success=_("已新增权限编码 accounts.%(c)s，可在菜单中使用。") % {"c": d["codename"]},
                         redirect_to="platform:permission_code_list")
        if done:
            return done
    return render(request, "platform_admin/permission_code_form.html", {"form": form, "perm": None})


@require_POST
@area_view("auth.delete_permission")
def permission_code_delete(request, pk: int):
    perm = _permission(pk)
    code = permcodes.code_of(perm)
    return run_step(request, permcodes.permission_code_delete, actor=request.user, permission=perm,
                    success=_("已删除权限编码 %(c)s。") % {"c": code}, redirect_to="platform:permission_code_list")


