"""机构后台 一.3 菜单管理: the institution administrator arranges the institution's own back-office menu (rename,
reorder, hide, group, bind a further permission code 数银 allows institutions) or restores 数银's default."""
from django.contrib import messages
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.common.steps import run_step

from . import services
from .access import institution_grantable_perms
from .inst_menu import effective_rows, rows_as_tree
from .models import InstitutionMenu
from .permissions import area_view

FIELDS = ("title", "parent", "order", "hidden", "permission")


def _code_choices() -> list[tuple[str, str]]:
    """The codes 数银 allows institutions, with their Chinese names (one query)."""
    allowed = institution_grantable_perms()
    names = {f"{p.content_type.app_label}.{p.codename}": p.name
             for p in Permission.objects.select_related("content_type")
             .filter(codename__in={c.split(".", 1)[1] for c in allowed})}
    return sorted(((c, names.get(c, c)) for c in allowed), key=lambda x: x[1])


def _page(request, *, posted=None, errors=None, status=200):
    root_id = request.user.organization.root_id
    rows = effective_rows(root_id)
    for r in rows:  # what the administrator typed stays on the form after an error
        if posted and r.pk in posted:
            p = posted[r.pk]
            r.title, r.parent_id, r.order = p["title"], p["parent"] or None, p["order"]
            r.is_hidden, r.extra_permission = bool(p["hidden"]), p["permission"]
        r.error = (errors or {}).get(r.pk, "")
    groups = [r for r in rows if r.is_group]
    codes = _code_choices()
    names = dict(codes)
    for r in rows:
        r.permission_name = names.get(r.permission, r.permission)
    return render(request, "accounts/inst_menu.html", {
        "tree": rows_as_tree(rows), "groups": groups, "codes": codes,
        "customised": InstitutionMenu.objects.filter(organization_id=root_id).exists(),
    }, status=status)


def _posted(request, keys) -> dict[str, dict]:
    out = {}
    for key in keys:
        if f"title_{key}" not in request.POST:
            continue
        order = request.POST.get(f"order_{key}", "0").strip()
        out[key] = {"title": request.POST.get(f"title_{key}", ""), "parent": request.POST.get(f"parent_{key}", ""),
                    "order": int(order) if order.isdigit() and int(order) < 1000 else 0,
                    "hidden": request.POST.get(f"hidden_{key}") == "on",
                    "permission": request.POST.get(f"permission_{key}", "")}
    return out


@area_view("accounts.arrange_inst_menu")
def inst_menu(request):
    if request.method != "POST":
        return _page(request)
    rows = effective_rows(request.user.organization.root_id)
    posted = _posted(request, [r.pk for r in rows])
    try:
        n = services.inst_menu_save(actor=request.user, changes=posted)
    except ValidationError as exc:
        messages.error(request, _("菜单未保存：请按提示修改标红的行。"))
        return _page(request, posted=posted, errors=exc.message_dict and {k: v[0] for k, v in exc.message_dict.items()},
                     status=200)
    messages.success(request, _("菜单已保存（%(n)d 项有改动），本机构所有员工立即生效。") % {"n": n})
    return redirect("inst:inst_menu")


@require_POST
@area_view("accounts.arrange_inst_menu")
def inst_menu_group_add(request):
    order = request.POST.get("order") or "0"
    return run_step(request, services.inst_menu_group_add, actor=request.user, title=request.POST.get("title", ""),
                    order=int(order) if order.isdigit() else 0, success=_("已新增分组，可在下方把菜单移入该分组。"),
                    redirect_to="inst:inst_menu")


@require_POST
@area_view("accounts.arrange_inst_menu")
def inst_menu_group_delete(request, pk: int):
    try:
        services.inst_menu_group_delete(actor=request.user, group_id=pk)
    except InstitutionMenu.DoesNotExist:
        raise Http404 from None
    messages.success(request, _("已删除分组，其中的菜单已回到数银默认分组。"))
    return redirect("inst:inst_menu")


@require_POST
@area_view("accounts.arrange_inst_menu")
def inst_menu_reset(request):
    services.inst_menu_reset(actor=request.user)
    messages.success(request, _("已恢复数银默认菜单。"))
    return redirect("inst:inst_menu")
