from django import forms
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import mobile_validator
from apps.common.files import sniff
from apps.common.validators import validate_resident_id

from .models import ClientType, Member


class MemberForm(forms.Form):
    real_name = forms.CharField(label=_("客户姓名"), max_length=50)
    id_number = forms.CharField(label=_("身份证号"), max_length=18, validators=[validate_resident_id])
    mobile = forms.CharField(label=_("手机号"), max_length=11, validators=[mobile_validator])
    address = forms.CharField(label=_("联系地址"), max_length=200)
    client_type = forms.ChoiceField(label=_("客户类型"), choices=ClientType.choices)
    id_photo_front = forms.FileField(label=_("身份证人像面（JPG/PNG/PDF）"))
    id_photo_back = forms.FileField(label=_("身份证国徽面（JPG/PNG/PDF）"))

    def clean_id_number(self):
        # an ID number already registered is refused by services.member_register, which says by whom it was
        # (the CM's own client, or another CM's, for whom the page offers a hand-over request)
        return self.cleaned_data["id_number"].strip().upper()

    def clean_id_photo_front(self):
        sniff(self.cleaned_data["id_photo_front"])
        return self.cleaned_data["id_photo_front"]

    def clean_id_photo_back(self):
        sniff(self.cleaned_data["id_photo_back"])
        return self.cleaned_data["id_photo_back"]


class MemberFilter(forms.Form):
    q = forms.CharField(label=_("姓名/手机号/身份证号"), required=False)
    status = forms.ChoiceField(label=_("认证状态"), required=False,
                               choices=[("", _("全部"))] + list(Member.Status.choices))
