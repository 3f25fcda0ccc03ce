from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from apps.common.middleware import client_ip

from .models import LoginLog
from .permissions import user_areas


class AreaAuthenticationForm(AuthenticationForm):
    """Signs in only users whose organisation and roles belong to this area."""

    error_messages = {
        "invalid_login": _("账号或密码错误，请重新输入（注意区分大小写）。连续失败多次将锁定账号。"),
        "inactive": _("该账号已停用，请联系管理员。"),
        "wrong_area": _("该账号不能登录本区域，请从对应的登录入口登录。"),
    }

    def __init__(self, request=None, *args, area: str, **kwargs):
        self.area = area
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = _("账号")
        self.fields["password"].label = _("密码")

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if self.area not in user_areas(user):
            LoginLog.objects.create(
                user=user, username=user.get_username(), area=self.area, ip=client_ip(self.request),
                success=False, reason="登录区域不符",
            )
            raise forms.ValidationError(self.error_messages["wrong_area"], code="wrong_area")


# ---- administration forms (platform site and institution back office) ----
from django.contrib.auth.password_validation import validate_password  # noqa: E402

from apps.common.forms import AsciiCharField, CreditCodeField, MobileField, ResidentIdField  # noqa: E402

from .models import DataScope, Organization, Role, User  # noqa: E402
from .permcodes import labels_for  # noqa: E402


class StaffForm(forms.Form):
    username = forms.RegexField(label=_("账号"), regex=r"^[A-Za-z0-9_.-]{3,30}$", max_length=30,
                                error_messages={"invalid": _("账号只能包含字母、数字、下划线、点和横线，3–30 位。")})
    real_name = forms.CharField(label=_("姓名"), max_length=50)
    mobile = MobileField(label=_("手机号"))
    email = forms.EmailField(label=_("邮箱"), required=False)
    organization = forms.ModelChoiceField(label=_("所属机构"), queryset=Organization.objects.none(),
                                          empty_label=_("请选择"))
    roles = forms.ModelMultipleChoiceField(label=_("角色"), queryset=Role.objects.none(),
                                           widget=forms.CheckboxSelectMultiple)
    password = forms.CharField(label=_("初始密码"), widget=forms.PasswordInput(render_value=False), required=False,
                               help_text=_("至少 10 位，须同时包含字母和数字；编辑时留空表示不修改"))

    def __init__(self, *args, organizations, roles, editing: User | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.editing = editing
        self.fields["organization"].queryset = organizations
        self.fields["roles"].queryset = roles
        if editing is not None:
            self.fields["username"].disabled = True
            self.fields["password"].widget = forms.HiddenInput()
        else:
            self.fields["password"].required = True

    def clean_username(self):
        username = self.cleaned_data["username"]
        if self.editing is None and User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("该账号已被使用，请换一个。"))
        return username

    def clean(self):
        data = super().clean()
        if self.editing is None and data.get("password"):
            try:
                validate_password(data["password"], User(username=data.get("username", ""),
                                                           real_name=data.get("real_name", "")))
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return data


class PasswordResetForm(forms.Form):
    password = forms.CharField(label=_("新密码"), widget=forms.PasswordInput)

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self):
        password = self.cleaned_data["password"]
        validate_password(password, self.user)
        return password


class RoleForm(forms.Form):
    name = forms.CharField(label=_("角色名称"), max_length=50)
    code = forms.SlugField(label=_("角色代码"), max_length=40,
                           error_messages={"invalid": _("角色代码只能包含字母、数字、下划线和横线。")})
    data_scope = forms.TypedChoiceField(label=_("数据范围"), choices=DataScope.choices, coerce=int)
    permissions = forms.MultipleChoiceField(label=_("权限"), widget=forms.CheckboxSelectMultiple, required=False)
    description = forms.CharField(label=_("说明"), max_length=200, required=False)
    is_active = forms.BooleanField(label=_("启用"), required=False, initial=True)

    def __init__(self, *args, grantable: set[str], editing: Role | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        # Chinese names only (the codes themselves are on 权限编码信息维护); sorted by code keeps each module's
        # codes together.
        names = labels_for(grantable)
        self.fields["permissions"].choices = sorted(((c, names.get(c, c)) for c in grantable), key=lambda x: x[0])
        if editing is not None:
            self.fields["code"].disabled = True


class UnitForm(forms.Form):
    name = forms.CharField(label=_("机构名称"), max_length=100)
    code = forms.SlugField(label=_("机构编码"), max_length=40,
                           error_messages={"invalid": _("机构编码只能包含字母、数字、下划线和横线。")})
    parent = forms.ModelChoiceField(label=_("上级机构"), queryset=Organization.objects.none(), empty_label=None)
    contact_name = forms.CharField(label=_("负责人"), max_length=50, required=False)
    contact_phone = AsciiCharField(label=_("联系电话"), max_length=30, required=False)
    address = forms.CharField(label=_("地址"), max_length=200, required=False)

    def __init__(self, *args, parents, editing: Organization | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = parents
        if editing is not None:
            self.fields["code"].disabled = True
            self.fields["parent"].disabled = True


# ---- institution onboarding ----
from apps.common.files import sniff  # noqa: E402
from apps.regions.forms import CityChoiceField  # noqa: E402


def free_credit_code(code: str, *, staff: bool = False) -> str:
    """``code`` when no institution has it and no application with it is pending; else says where it stands."""
    from .services import credit_code_standing

    standing = credit_code_standing(code, staff=staff)
    if standing:
        raise forms.ValidationError(standing, code="credit_code_taken")
    return code


class JoinForm(forms.Form):
    name = forms.CharField(label=_("机构名称"), max_length=100)
    credit_code = CreditCodeField(label=_("统一社会信用代码"), help_text=_("18 位，见营业执照"))
    region = CityChoiceField(label=_("所在城市"))
    address = forms.CharField(label=_("详细地址"), max_length=200)
    contact_name = forms.CharField(label=_("联系人"), max_length=50)
    contact_mobile = MobileField(label=_("联系人手机号"))
    admin_username = forms.RegexField(label=_("希望使用的管理员账号"), regex=r"^[A-Za-z0-9_.-]{3,30}$", max_length=30,
                                      error_messages={"invalid": _("账号只能包含字母、数字、下划线、点和横线，3–30 位。")})
    licence = forms.FileField(label=_("营业执照（PDF/JPG/PNG，10 MB 以内）"))

    def clean_credit_code(self):
        return free_credit_code(self.cleaned_data["credit_code"])

    def clean_admin_username(self):
        name = self.cleaned_data["admin_username"]
        if User.objects.filter(username__iexact=name).exists():
            raise forms.ValidationError(_("该账号已被使用，请换一个。"))
        return name

    def clean_licence(self):
        upload = self.cleaned_data["licence"]
        sniff(upload)
        return upload


class ApproveForm(forms.Form):
    code = forms.SlugField(label=_("机构编码"), max_length=40,
                           error_messages={"invalid": _("机构编码只能包含字母、数字、下划线和横线。")})


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("驳回原因"), max_length=200)


class InstitutionCreateForm(forms.Form):
    name = forms.CharField(label=_("机构名称"), max_length=100)
    code = forms.SlugField(label=_("机构编码"), max_length=40)
    credit_code = CreditCodeField(label=_("统一社会信用代码"))
    region = CityChoiceField(label=_("所在城市"))
    address = forms.CharField(label=_("地址"), max_length=200, required=False)
    contact_name = forms.CharField(label=_("联系人"), max_length=50)
    contact_phone = AsciiCharField(label=_("联系电话"), max_length=30)
    admin_username = forms.RegexField(label=_("管理员账号"), regex=r"^[A-Za-z0-9_.-]{3,30}$", max_length=30)
    admin_real_name = forms.CharField(label=_("管理员姓名"), max_length=50)

    def clean_credit_code(self):
        return free_credit_code(self.cleaned_data["credit_code"], staff=True)


# ---- profile and verification ----
from .models import RealNameVerification  # noqa: E402


class ProfileForm(forms.Form):
    real_name = forms.CharField(label=_("姓名"), max_length=50)
    mobile = MobileField(label=_("手机号"))
    email = forms.EmailField(label=_("邮箱"), required=False)


class VerificationForm(forms.Form):
    subject = forms.ChoiceField(label=_("认证对象"), choices=RealNameVerification.Subject.choices)
    user = forms.ModelChoiceField(label=_("信贷员"), queryset=User.objects.none(), required=False,
                                  help_text=_("认证对象为信贷员时选择"))
    real_name = forms.CharField(label=_("姓名"), max_length=50)
    id_number = ResidentIdField(label=_("身份证号"))
    id_photo = forms.FileField(label=_("身份证照片（PDF/JPG/PNG，10 MB 以内）"))

    def __init__(self, *args, staff, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = staff

    def clean_id_photo(self):
        upload = self.cleaned_data["id_photo"]
        sniff(upload)
        return upload

    def clean(self):
        data = super().clean()
        if data.get("subject") == RealNameVerification.Subject.STAFF and not data.get("user"):
            self.add_error("user", _("请选择要认证的信贷员。"))
        if data.get("subject") == RealNameVerification.Subject.HEAD:
            data["user"] = None
        return data


class InstitutionEditForm(forms.ModelForm):
    credit_code = CreditCodeField(label=_("统一社会信用代码"), required=False)
    contact_phone = AsciiCharField(label=_("联系电话"), max_length=30, required=False)
    head_mobile = MobileField(label=_("负责人手机号"), required=False)

    class Meta:
        model = Organization
        fields = ["name", "short_name", "credit_code", "address", "contact_name", "contact_phone", "head_mobile",
                  "follower"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["follower"].queryset = User.objects.filter(
            is_active=True, roles__code="of", roles__organization__isnull=True).distinct()

    def clean_credit_code(self):
        code = self.cleaned_data["credit_code"]
        if code and Organization.objects.filter(credit_code=code).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(_("该统一社会信用代码已属于另一家机构，请核对。"), code="credit_code_taken")
        return code


# ---- 资料修改 (机构后台 二.4) ----
from django.core.validators import RegexValidator  # noqa: E402

phone_validator = RegexValidator(r"^(1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8}(-[0-9]{1,6})?)$",
                                 _("请填写 11 位手机号或带区号的固定电话，如 0755-86001234"))
account_no_validator = RegexValidator(r"^[0-9]{8,30}$", _("银行账号应为 8–30 位数字，请勿包含空格。"))


class InstitutionDetailsForm(forms.Form):
    """The institution's own details. The first three (主体信息) go to 数银 for review; the rest apply at once."""

    LEGAL = ("name", "credit_code", "legal_representative")

    name = forms.CharField(label=_("机构名称"), max_length=100)
    credit_code = CreditCodeField(label=_("统一社会信用代码"), help_text=_("18 位，见营业执照"))
    legal_representative = forms.CharField(label=_("法定代表人"), max_length=50, required=False)
    region = CityChoiceField(label=_("所在城市"), required=False,
                             help_text=_("区域内业务水平排名按所在城市和省份计算"))
    address = forms.CharField(label=_("详细地址"), max_length=200, required=False)
    contact_name = forms.CharField(label=_("联系人"), max_length=50, required=False)
    contact_phone = AsciiCharField(label=_("联系电话"), max_length=30, required=False, validators=[phone_validator])
    head_mobile = MobileField(label=_("负责人手机号"), required=False)
    refund_bank_name = forms.CharField(label=_("退款开户银行"), max_length=100, required=False,
                                       help_text=_("如：招商银行深圳分行营业部"))
    refund_account_name = forms.CharField(label=_("退款账户名"), max_length=100, required=False,
                                          help_text=_("须与机构名称一致"))
    refund_account_no = AsciiCharField(label=_("退款银行账号"), max_length=32, required=False,
                                       validators=[account_no_validator])

    def __init__(self, *args, organization: Organization, **kwargs):
        self.organization = organization
        self.current_city = self._city_of(organization.region)
        kwargs.setdefault("initial", {f: getattr(organization, f) for f in self.base_fields if f != "region"}
                          | {"region": self.current_city.pk if self.current_city else None})
        super().__init__(*args, **kwargs)

    @staticmethod
    def _city_of(region):
        """The city a recorded region lies in (an institution may have been recorded at district level)."""
        from apps.regions.models import Region

        if region is None or region.level != Region.Level.DISTRICT:
            return region
        return Region.objects.filter(code=region.city_code).first() if region.city_code else None

    def clean_region(self):
        region = self.cleaned_data["region"]
        if region is not None and self.current_city is not None and region.pk == self.current_city.pk:
            return self.organization.region  # the same city: keep the recorded district
        return region

    def clean_credit_code(self):
        return self.cleaned_data["credit_code"].strip().upper()

    def clean_refund_account_no(self):
        return self.cleaned_data["refund_account_no"].strip()

    def clean(self):
        data = super().clean()
        refund = [data.get(f) for f in ("refund_bank_name", "refund_account_name", "refund_account_no")]
        if any(refund) and not all(refund):
            self.add_error(None, _("退款账户请完整填写开户银行、账户名和账号三项（或三项都留空）。"))
        name = data.get("refund_account_name")
        if name and name not in {self.organization.name, data.get("name")}:
            self.add_error("refund_account_name", _("退款账户名须与机构名称一致，退款只退回机构本身的对公账户。"))
        return data

    def legal_fields(self):
        return [self[f] for f in self.LEGAL]

    def other_fields(self):
        return [self[f] for f in self.fields if f not in self.LEGAL]


class DetailDecisionForm(forms.Form):
    reason = forms.CharField(label=_("审核意见"), max_length=200, required=False)
