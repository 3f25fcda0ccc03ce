from django import forms
from django.utils.translation import gettext_lazy as _

from apps.common.forms import SearchField, typed_formfield
from apps.common.validators import refuse_non_ascii
from apps.regions.forms import RegionCodeField


class ParamForm(forms.Form):
    value = SearchField(label=_("新值"), max_length=500)
    reason = forms.CharField(label=_("修改原因"), max_length=200)

    def __init__(self, *args, param, **kwargs):
        super().__init__(*args, **kwargs)
        self.param = param
        if param.kind == "bool":
            self.fields["value"] = forms.ChoiceField(label=_("新值"), choices=[("true", _("是")), ("false", _("否"))])
        hint = []
        if param.minimum is not None:
            hint.append(f"最小 {param.minimum}")
        if param.maximum is not None:
            hint.append(f"最大 {param.maximum}")
        if param.unit:
            hint.append(f"单位：{param.unit}")
        self.fields["value"].help_text = "；".join(hint)

    def clean_value(self):
        value = self.cleaned_data["value"]  # full-width folded by SearchField; text parameters may be Chinese
        if self.param.kind in ("int", "decimal"):
            refuse_non_ascii(value)  # int("٣") would read an Arabic-Indic digit as 3
        return self.param.parse(value)


class BroadcastForm(forms.Form):
    title = forms.CharField(label=_("标题"), max_length=200)
    body = forms.CharField(label=_("内容"), widget=forms.Textarea(attrs={"rows": 6}))
    institutions = forms.ModelMultipleChoiceField(
        label=_("接收机构"), required=False, widget=forms.SelectMultiple(attrs={"size": 8}),
        queryset=None, help_text=_("不选表示发送给全部合作机构"))

    def __init__(self, *args, **kwargs):
        from apps.accounts.models import Organization

        super().__init__(*args, **kwargs)
        self.fields["institutions"].queryset = Organization.objects.filter(
            kind=Organization.Kind.INSTITUTION, parent__isnull=True, is_active=True).order_by("name")


class MenuForm(forms.ModelForm):
    class Meta:
        from apps.accounts.models import Menu

        model = Menu
        formfield_callback = typed_formfield
        fields = ["code", "area", "parent", "title", "url_name", "permission", "icon", "order", "is_active"]

    def __init__(self, *args, **kwargs):
        from apps.accounts.models import Menu

        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = Menu.objects.filter(url_name="").order_by("area", "order")
        if self.instance.pk:
            self.fields["code"].disabled = True

    def clean_url_name(self):
        from django.urls import NoReverseMatch, reverse

        name = self.cleaned_data["url_name"].strip()
        if name:
            try:
                reverse(name)
            except NoReverseMatch:
                raise forms.ValidationError(_("路由名不存在，请填写如 inst:staff_list 的有效路由名。"))
        return name

    def clean_permission(self):
        from django.contrib.auth.models import Permission

        code = self.cleaned_data["permission"].strip()
        if code:
            app_label, _sep, codename = code.partition(".")
            if not Permission.objects.filter(content_type__app_label=app_label, codename=codename).exists():
                raise forms.ValidationError(_("权限代码不存在，请填写如 accounts.view_user 的有效代码。"))
        return code

    def clean(self):
        data = super().clean()
        if data.get("url_name") and not data.get("permission"):
            self.add_error("permission", _("有链接的菜单必须填写权限代码。"))
        parent = data.get("parent")
        if parent and data.get("area") and parent.area != data["area"]:
            self.add_error("parent", _("上级菜单必须属于同一区域。"))
        return data


class PermissionCodeForm(forms.Form):
    name = forms.CharField(label=_("中文名称"), max_length=100,
                           help_text=_("角色、菜单等处显示的名称"))
    description = forms.CharField(label=_("说明"), max_length=300, required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    is_active = forms.BooleanField(label=_("启用"), required=False,
                                   help_text=_("停用后，该权限编码对任何角色、任何人都不再生效"))


class PermissionCodeAddForm(forms.Form):
    codename = forms.RegexField(
        label=_("权限编码"), regex=r"^[a-z][a-z0-9_]{2,60}$", max_length=61,
        help_text=_("小写字母、数字和下划线，如 link_help；保存为 accounts.<编码>"),
        error_messages={"invalid": _("权限编码只能包含小写字母、数字和下划线，以字母开头，3–61 位。")})
    name = forms.CharField(label=_("中文名称"), max_length=100)
    description = forms.CharField(label=_("说明"), max_length=300, required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}))


class PermissionCodeFilterForm(forms.Form):
    q = forms.CharField(label=_("编码或名称"), required=False)
    group = forms.ChoiceField(label=_("所属模块"), required=False)
    status = forms.ChoiceField(label=_("状态"), required=False,
                               choices=[("", _("全部")), ("active", _("启用")), ("disabled", _("停用"))])

    def __init__(self, *args, groups, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].choices = [("", _("全部"))] + [(g, g) for g in groups]


class RegionNameForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=50)


class RegionAddForm(forms.Form):
    code = forms.CharField(label=_("区划代码"), max_length=12, help_text=_("GB/T 2260 代码：省 2 位、市 4 位、区县 6 位"))
    name = forms.CharField(label=_("名称"), max_length=50)


class RegionRetireForm(forms.Form):
    successor = RegionCodeField(label=_("承继区划"), help_text=_("撤销后新录入使用的区划（同级、有效），依次选择省、市、区县"))
    confirm = forms.BooleanField(label=_("我已确认：该代码撤销后不能再用于新录入，已有申请保留原区划"),
                                 error_messages={"required": _("请勾选确认。")})

    def clean_successor(self):
        from apps.regions.models import Region

        code = self.cleaned_data["successor"].strip()
        region = Region.objects.filter(code=code).first()
        if region is None:
            raise forms.ValidationError(_("区划代码 %(c)s 不存在，请填写有效的承继代码。") % {"c": code})
        return region
