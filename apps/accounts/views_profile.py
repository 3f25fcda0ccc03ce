"""My profile (every area), the institution's basic information (机构后台 二.基本信息), real-name
verification submitted by institutions and decided by 数银, and the platform's institution edit."""
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.forms import PasswordChangeForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.common.files import private_response
from apps.common.steps import form_step
from apps.common.views import list_context

from . import selectors, services
from .forms import InstitutionEditForm, ProfileForm, VerificationForm
from .models import Organization, RealNameVerification
from .permissions import AREA_PERMS, area_view


def _own_area(view):
    def wrapper(request, *args, **kwargs):
        return area_view(AREA_PERMS[request.area])(view)(request, *args, **kwargs)

    wrapper.__name__ = view.__name__
    wrapper.required_perms = ("accounts.access_<area>",)
    return wrapper


@_own_area
def my_profile(request):
    user = request.user
    form = ProfileForm(request.POST if "profile" in request.POST else None,
                       initial={"real_name": user.real_name, "mobile": user.mobile, "email": user.email})
    pw_form = PasswordChangeForm(user, request.POST if "password" in request.POST else None)
    if request.method == "POST":
        if "profile" in request.POST and form.is_valid():
            services.profile_update(user=user, **form.cleaned_data)
            messages.success(request, _("个人资料已保存。"))
            return redirect(f"{request.area}:my_profile")
        if "password" in request.POST and pw_form.is_valid():
            pw_form.save()
            update_session_auth_hash(request, user)
            messages.success(request, _("密码已修改。"))
            return redirect(f"{request.area}:my_profile")
    return render(request, "accounts/my_profile.html", {"form": form, "pw_form": pw_form})


@area_view("accounts.access_inst")
def institution_profile(request):
    org = Organization.objects.select_related("region", "follower").get(pk=request.user.organization.root_id)
    verifications = RealNameVerification.objects.filter(organization__path__startswith=org.path).select_related(
        "user")[:50]
    staff = selectors.user_list_for_user(user=request.user).filter(is_active=True)
    can_submit = request.user.has_perm("accounts.change_organization")
    form = VerificationForm(request.POST or None, request.FILES or None, staff=staff) if can_submit else None
    if request.method == "POST":
        if not can_submit:
            raise PermissionDenied("accounts.change_organization")
        if form.is_valid():
            d = form.cleaned_data
            target_org = d["user"].organization if d["user"] else org
            done = form_step(request, form, services.verification_submit, actor=request.user,
                             organization=target_org, subject=d["subject"], user=d["user"], real_name=d["real_name"],
                             id_number=d["id_number"], id_photo=d["id_photo"],
                             success=_("已提交实名认证，数银审核后将通过站内信通知您。"),
                             redirect_to="inst:institution_profile")
            if done:
                return done
    return render(request, "accounts/institution_profile.html",
                  {"org": org, "verifications": verifications, "form": form})


@area_view("accounts.review_realname")
def verification_list(request):
    qs = RealNameVerification.objects.select_related("organization", "user", "submitted_by")
    status = request.GET.get("status", "pending")
    if status in RealNameVerification.Status.values:
        qs = qs.filter(status=status)
    ctx = list_context(request, qs, sorts={"time": "created_at"}, default_sort="-time")
    ctx.update(status=status, statuses=RealNameVerification.Status.choices)
    return render(request, "accounts/verification_list.html", ctx)


@require_POST
@area_view("accounts.review_realname")
def verification_decide(request, pk: int):
    approve = request.POST.get("decision") == "approve"
    try:
        services.verification_decide(actor=request.user, verification_id=pk, approve=approve,
                                     reason=request.POST.get("reason", "").strip())
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    except RealNameVerification.DoesNotExist:
        return render(request, "404.html", status=404)
    else:
        messages.success(request, _("已通过认证。") if approve else _("已驳回认证。"))
    return redirect("platform:verification_list")


@area_view("accounts.review_realname")
def verification_photo(request, pk: int):
    return private_response(get_object_or_404(RealNameVerification, pk=pk).id_photo)


@area_view("accounts.change_organization")
def institution_edit(request, pk: int):
    org = get_object_or_404(Organization, pk=pk, kind=Organization.Kind.INSTITUTION, parent__isnull=True)
    form = InstitutionEditForm(request.POST or None, instance=org)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("机构信息已保存。"))
        return redirect("platform:organization_detail", pk=org.pk)
    return render(request, "accounts/institution_edit.html", {"form": form, "obj": org})
