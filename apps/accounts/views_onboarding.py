"""Institution onboarding: the public join page, 数银's review, direct creation, suspension, and the
activation link with which a new institution admin sets a password."""
from django.contrib import messages
from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.common.files import private_response
from apps.common.views import list_context

from . import selectors, services
from .forms import ApproveForm, InstitutionCreateForm, JoinForm, RejectForm
from .models import InstitutionApplication, User
from .permissions import area_view


def join(request):
    """Public page (no sign-in): an institution applies to join 数银在线."""
    form = JoinForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            app = services.institution_application_submit(
                name=d["name"], credit_code=d["credit_code"], region=d["region"], address=d["address"],
                contact_name=d["contact_name"], contact_mobile=d["contact_mobile"],
                admin_username=d["admin_username"], licence=d["licence"])
        except ValidationError as exc:  # the same code sent at the same moment by another form
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            return redirect("join_status", reference=app.reference)
    return render(request, "accounts/join.html", {"form": form})


def join_status(request, reference: str):
    app = get_object_or_404(InstitutionApplication.objects.select_related("organization"), reference=reference)
    activation = ""
    if app.status == InstitutionApplication.Status.APPROVED:
        admin = User.objects.filter(username=app.admin_username).first()
        if admin and not admin.has_usable_password():
            activation = services.activation_path(admin)
    return render(request, "accounts/join_status.html", {"app": app, "activation": activation})


def activate(request, uidb64: str, token: str):
    """A new institution admin sets a password with the one-time link (the token dies once used)."""
    try:
        user = User.objects.get(pk=int(force_str(urlsafe_base64_decode(uidb64))))
    except (ValueError, TypeError, User.DoesNotExist):
        user = None
    if user is None or not services.activation_tokens.check_token(user, token):
        return render(request, "accounts/activate.html", {"invalid": True}, status=400)
    form = SetPasswordForm(user, request.POST or None)
    form.fields["new_password1"].label = _("设置密码")
    form.fields["new_password2"].label = _("确认密码")
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("密码已设置，请用账号 %(u)s 登录机构后台。") % {"u": user.username})
        return redirect("inst:login")
    return render(request, "accounts/activate.html", {"form": form, "target": user})


@area_view("accounts.review_institutionapplication")
def application_list(request):
    qs = InstitutionApplication.objects.select_related("region", "reviewed_by")
    status = request.GET.get("status", "pending")
    if status in InstitutionApplication.Status.values:
        qs = qs.filter(status=status)
    ctx = list_context(request, qs, sorts={"time": "created_at", "name": "name"}, default_sort="-time")
    ctx.update(status=status, statuses=InstitutionApplication.Status.choices)
    return render(request, "accounts/application_list.html", ctx)


@area_view("accounts.review_institutionapplication")
def application_detail(request, pk: int):
    app = get_object_or_404(InstitutionApplication.objects.select_related("region", "organization"), pk=pk)
    approve_form = ApproveForm(request.POST if "approve" in request.POST else None)
    reject_form = RejectForm(request.POST if "reject" in request.POST else None)
    if request.method == "POST":
        try:
            if "approve" in request.POST and approve_form.is_valid():
                _app, admin = services.institution_application_approve(
                    actor=request.user, application_id=app.pk, code=approve_form.cleaned_data["code"])
                messages.success(request, _("已通过并创建机构及管理员账号。请将激活链接发给联系人：%(l)s") % {
                    "l": request.build_absolute_uri(services.activation_path(admin))})
                return redirect("platform:application_detail", pk=app.pk)
            if "reject" in request.POST and reject_form.is_valid():
                services.institution_application_reject(actor=request.user, application_id=app.pk,
                                                        reason=reject_form.cleaned_data["reason"])
                messages.success(request, _("已驳回该申请。"))
                return redirect("platform:application_list")
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
    return render(request, "accounts/application_detail.html",
                  {"app": app, "approve_form": approve_form, "reject_form": reject_form})


@area_view("accounts.review_institutionapplication")
def application_licence(request, pk: int):
    app = get_object_or_404(InstitutionApplication, pk=pk)
    return private_response(app.licence_file)


@area_view("accounts.add_organization")
def institution_create(request):
    form = InstitutionCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            org, admin = services.institution_create(actor=request.user, **d)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("已创建机构“%(n)s”。管理员激活链接：%(l)s") % {
                "n": org.name, "l": request.build_absolute_uri(services.activation_path(admin))})
            return redirect("platform:organization_detail", pk=org.pk)
    return render(request, "accounts/institution_form.html", {"form": form})


@require_POST
@area_view("accounts.change_organization")
def institution_toggle(request, pk: int):
    org = selectors.organization_get_for_user(user=request.user, pk=pk)
    services.institution_set_active(actor=request.user, institution=org, active=not org.is_active)
    messages.success(request, _("已恢复该机构。") if not org.is_active else _("已暂停该机构，其员工已无法登录。"))
    return redirect("platform:organization_detail", pk=org.pk)
