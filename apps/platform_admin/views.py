from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.accounts.permissions import area_view
from apps.common.models import SystemParameterChange
from apps.common.params import declared_params, param_set, params_get_many

from .forms import ParamForm


@area_view("common.view_systemparameter")
def param_list(request):
    specs = declared_params()
    values = params_get_many()
    groups: dict[str, list] = {}
    for key, spec in sorted(specs.items()):
        groups.setdefault(spec.group, []).append({"spec": spec, "value": values[key], "shown": spec.show(values[key]),
                                                  "default_shown": spec.show(spec.default)})
    recent = _shown(SystemParameterChange.objects.select_related("changed_by")[:20], specs)
    return render(request, "platform_admin/param_list.html", {"groups": groups, "recent": recent})


@area_view("common.change_parameters")
def param_edit(request, key: str):
    spec = declared_params().get(key)
    if spec is None:
        raise Http404
    current = params_get_many([key])[key]
    form = ParamForm(request.POST or None, param=spec, initial={"value": spec.dump(current)})
    if request.method == "POST" and form.is_valid():
        param_set(key=key, raw=form.cleaned_data["value"], user=request.user, reason=form.cleaned_data["reason"])
        messages.success(request, _("参数“%(l)s”已修改，立即生效。") % {"l": spec.label})
        return redirect("platform:param_list")
    history = _shown(SystemParameterChange.objects.filter(key=key).select_related("changed_by")[:50], {key: spec})
    return render(request, "platform_admin/param_edit.html",
                  {"form": form, "spec": spec, "current": spec.show(current), "default": spec.show(spec.default),
                   "history": history})


def _shown(changes, specs) -> list:
    """Change records with their old and new values as users think of them (是/否, labels)."""
    rows = list(changes)
    for change in rows:
        spec = specs.get(change.key)
        change.label = spec.label if spec else change.key
        change.old_shown = spec.show_stored(change.old_value) if spec else change.old_value
        change.new_shown = spec.show_stored(change.new_value) if spec else change.new_value
    return rows


@area_view("messaging.add_message")
def broadcast(request):
    from .forms import BroadcastForm
    from .services import broadcast_to_institutions

    form = BroadcastForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        count = broadcast_to_institutions(sender=request.user, title=d["title"], body=d["body"],
                                          institutions=list(d["institutions"]))
        messages.success(request, _("公告已发送给 %(n)d 位机构员工。") % {"n": count})
        return redirect("platform:broadcast")
    return render(request, "platform_admin/broadcast.html", {"form": form})


@area_view("accounts.review_identity_conflicts")
def identity_duplicates(request):
    """Rows whose ID number or credit code, normalised to ASCII, would equal another row's: left as stored by
    the migration for an administrator to resolve (apps.common.identity; ``manage.py identity_duplicates``)."""
    from apps.common.identity import identity_conflicts

    return render(request, "platform_admin/identity_duplicates.html", {"groups": identity_conflicts()})


@area_view("accounts.view_menu")
def menu_list(request):
    from apps.accounts.models import Area, Menu

    rows = list(Menu.objects.order_by("area", "order", "id"))
    children: dict = {}
    for row in rows:
        children.setdefault(row.parent_id, []).append(row)
    trees = []
    for area in Area:
        flat = []

        def walk(node, depth):
            flat.append((node, depth))
            for child in children.get(node.pk, []):
                walk(child, depth + 1)

        for root in [r for r in children.get(None, []) if r.area == area]:
            walk(root, 0)
        trees.append((area.label, flat))
    from apps.accounts.permcodes import labels_for

    labels = labels_for({row.permission for row in rows if row.permission})
    for row in rows:
        row.permission_label = labels.get(row.permission, "")
    return render(request, "platform_admin/menu_list.html", {"trees": trees})


@area_view("accounts.change_menu")
def menu_edit(request, pk: int | None = None):
    from django.shortcuts import get_object_or_404

    from apps.accounts.models import Menu

    from .forms import MenuForm

    menu = get_object_or_404(Menu, pk=pk) if pk else Menu()
    form = MenuForm(request.POST or None, instance=menu)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("菜单已保存，立即生效。"))
        return redirect("platform:menu_list")
    return render(request, "platform_admin/menu_form.html", {"form": form, "menu": menu})


@require_POST
@area_view("accounts.delete_menu")
def menu_delete(request, pk: int):
    from django.shortcuts import get_object_or_404

    from apps.accounts.models import Menu

    menu = get_object_or_404(Menu, pk=pk)
    if menu.children.exists():
        messages.error(request, _("该菜单下还有子菜单，请先删除或移走子菜单。"))
    else:
        menu.delete()
        messages.success(request, _("已删除菜单“%(t)s”。") % {"t": menu.title})
    return redirect("platform:menu_list")
