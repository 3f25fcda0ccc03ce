from django import forms
from django.utils.translation import gettext_lazy as _

from apps.common.files import sniff
from apps.common.forms import MobileField, ResidentIdField, SearchField

from .models import ClientType, Member


class MemberForm(forms.Form):
    real_name = forms.CharField(label=_("客户姓名"), max_length=50)
    id_number = ResidentIdField(label=_("身份证号"))
    mobile = MobileField(label=_("手机号"))
    address = forms.CharField(label=_("联系地址"), max_length=200)
    client_type = forms.ChoiceField(label=_("客户类型"), choices=ClientType.choices)
    id_photo_front = forms.FileField(label=_("身份证人像面（JPG/PNG/PDF）"))
    id_photo_back = forms.FileField(label=_("身份证国徽面（JPG/PNG/PDF）"))

    def clean_id_number(self):
        number = self.cleaned_data["id_number"]  # folded to ASCII: '１１０…' finds the member stored as '110…'
        if Member.objects.filter(id_number=number).exists():
            raise forms.ValidationError(_("该身份证号的客户已登记，请在会员查询中找到并使用该客户。"))
        return number

    def clean_id_photo_front(self):
        sniff(self.cleaned_data["id_photo_front"])
        return self.cleaned_data["id_photo_front"]

    def clean_id_photo_back(self):
        sniff(self.cleaned_data["id_photo_back"])
        return self.cleaned_data["id_photo_back"]


class MemberFilter(forms.Form):
    q = SearchField(label=_("姓名/手机号/身份证号"), required=False)
    status = forms.ChoiceField(label=_("认证状态"), required=False,
                               choices=[("", _("全部"))] + list(Member.Status.choices))
