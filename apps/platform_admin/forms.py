from django import forms
from django.utils.translation import gettext_lazy as _

from apps.common.forms import SearchField, typed_formfield
from apps.common.validators import refuse_non_ascii


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
