"""Administration screens shared by the platform site (数银's staff and roles) and the institution
back office (its staff, roles and sub-institutions). The area decides whose data is managed."""
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.common.steps import form_step, run_step

from . import selectors, services
from .forms import PasswordResetForm, RoleForm, StaffForm, UnitForm
from .permissions import area_view
from .throttle import account_locked_until


def _staff_list_url(request):
    return "inst:staff_list" if request.area == "inst" else "platform:user_list"


def _staff_form(request, editing=None):
    orgs = selectors.organization_list_for_user(user=request.user)
    if request.area == "platform":
        orgs = orgs.filter(kind="platform")
    return StaffForm(request.POST or None, organizations=orgs, roles=services.assignable_roles(actor=request.user),
                     editing=editing, initial=_staff_initial(editing))


def _staff_initial(user):
    if user is None:
        return {}
    return {"username": user.username, "real_name": user.real_name, "mobile": user.mobile, "email": user.email,
            "organization": user.organization_id, "roles": list(user.roles.values_list("pk", flat=True))}


def _save_staff(request, form, editing=None):
    data = form.cleaned_data
    try:
        user = services.staff_save(
            actor=request.user, user=editing, username=data["username"], real_name=data["real_name"],
            mobile=data["mobile"], email=data.get("email", ""), organization=data["organization"],
            roles=data["roles"], password=data.get("password") or None)
    except ValidationError as exc:
        form.add_error(None, exc)
        return None
    return user


@area_view("accounts.add_user")
def staff_create(request):
    form = _staff_form(request)
    if request.method == "POST" and form.is_valid():
        user = _save_staff(request, form)
        if user:
            messages.success(request, _("已新增员工账号 %(u)s。") % {"u": user.username})
            return redirect(_staff_list_url(request))
    return render(request, "accounts/staff_form.html", {"form": form, "editing": None})


@area_view("accounts.change_user")
def staff_edit(request, pk: int):
    target = selectors.user_get_for_user(user=request.user, pk=pk)
    form = _staff_form(request, editing=target)
    if request.method == "POST" and form.is_valid():
        if _save_staff(request, form, editing=target):
            messages.success(request, _("已保存。"))
            return redirect(_staff_list_url(request))
    return render(request, "accounts/staff_form.html", {
        "form": form, "editing": target, "password_form": PasswordResetForm(user=target),
        "locked_until": account_locked_until(username=target.username)})


@require_POST
@area_view("accounts.change_user")
def staff_toggle(request, pk: int):
    target = selectors.user_get_for_user(user=request.user, pk=pk)
    return run_step(request, services.staff_set_active, actor=request.user, user=target, active=not target.is_active,
                    success=_("已启用该账号。") if not target.is_active else _("已停用该账号，其登录已失效。"),
                    redirect_to=_staff_list_url(request))


@require_POST
@area_view("accounts.change_user")
def staff_password(request, pk: int):
    target = selectors.user_get_for_user(user=request.user, pk=pk)
    form = PasswordResetForm(request.POST, user=target)
    if form.is_valid():
        services.staff_set_password(actor=request.user, user=target, password=form.cleaned_data["password"])
        messages.success(request, _("密码已重置，登录锁定已解除，该账号需用新密码重新登录。"))
    else:
        messages.error(request, " ".join(form.errors["password"]))
    return redirect(request.area + (":staff_edit" if request.area == "inst" else ":user_edit"), pk=target.pk)


@require_POST
@area_view("accounts.change_user")
def staff_force_logout(request, pk: int):
    target = selectors.user_get_for_user(user=request.user, pk=pk)
    services.staff_force_logout(actor=request.user, user=target)
    messages.success(request, _("已强制 %(u)s 下线。") % {"u": target.username})
    return redirect(_staff_list_url(request))


@area_view("accounts.view_role")
def role_list(request):
    roles = selectors.role_list_for_user(user=request.user)
    return render(request, "accounts/role_list.html", {"roles": roles})


def _role_form(request, editing=None):
    initial = {}
    if editing is not None:
        initial = {"name": editing.name, "code": editing.code, "data_scope": editing.data_scope,
                   "description": editing.description, "is_active": editing.is_active,
                   "permissions": [f"{p.content_type.app_label}.{p.codename}" for p in editing.permissions.all()]}
    grantable = services.grantable_permission_codes(actor=request.user)
    return RoleForm(request.POST or None, grantable=grantable, editing=editing, initial=initial)


def _role_save(request, form, editing=None):
    d = form.cleaned_data
    try:
        return services.role_save(actor=request.user, role=editing, name=d["name"], code=d["code"],
                                  data_scope=d["data_scope"], permission_codes=d["permissions"],
                                  is_active=d["is_active"], description=d["description"])
    except ValidationError as exc:
        form.add_error("code" if hasattr(exc, "error_dict") else None, exc.messages[0])


@area_view("accounts.add_role")
def role_create(request):
    form = _role_form(request)
    if request.method == "POST" and form.is_valid() and _role_save(request, form):
        messages.success(request, _("已新增角色。"))
        return redirect(f"{request.area}:role_list")
    return render(request, "accounts/role_form.html", {"form": form, "editing": None})


@area_view("accounts.change_role")
def role_edit(request, pk: int):
    role = selectors.role_get_for_user(user=request.user, pk=pk)
    form = _role_form(request, editing=role)
    if request.method == "POST" and form.is_valid() and _role_save(request, form, editing=role):
        messages.success(request, _("角色已保存，权限立即生效。"))
        return redirect(f"{request.area}:role_list")
    return render(request, "accounts/role_form.html", {"form": form, "editing": role})


def _unit_form(request, editing=None):
    parents = selectors.organization_list_for_user(user=request.user)
    initial = {}
    if editing is not None:
        initial = {"name": editing.name, "code": editing.code, "parent": editing.parent_id,
                   "contact_name": editing.contact_name, "contact_phone": editing.contact_phone,
                   "address": editing.address}
    return UnitForm(request.POST or None, parents=parents, editing=editing, initial=initial)


def _unit_save(request, form, editing=None):
    d = form.cleaned_data
    return form_step(request, form, services.unit_save, actor=request.user, unit=editing, parent=d["parent"],
                     name=d["name"], code=d["code"], contact_name=d["contact_name"], contact_phone=d["contact_phone"],
                     address=d["address"], region=d["parent"].region)


@area_view("accounts.add_organization")
def unit_create(request):
    form = _unit_form(request)
    if request.method == "POST" and form.is_valid() and _unit_save(request, form):
        messages.success(request, _("已新增下级机构。"))
        return redirect("inst:unit_list")
    return render(request, "accounts/unit_form.html", {"form": form, "editing": None})


@area_view("accounts.change_organization")
def unit_edit(request, pk: int):
    unit = selectors.organization_get_for_user(user=request.user, pk=pk)
    form = _unit_form(request, editing=unit)
    if request.method == "POST" and form.is_valid() and _unit_save(request, form, editing=unit):
        messages.success(request, _("已保存。"))
        return redirect("inst:unit_list")
    return render(request, "accounts/unit_form.html", {"form": form, "editing": unit})


@require_POST
@area_view("accounts.delete_organization")
def unit_delete(request, pk: int):
    unit = selectors.organization_get_for_user(user=request.user, pk=pk)
    return run_step(request, services.unit_delete, actor=request.user, unit=unit,
                    success=_("已删除下级机构 %(n)s。") % {"n": unit.name}, redirect_to="inst:unit_list")
