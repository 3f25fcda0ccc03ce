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
        # folded to ASCII by the field ('１１０…' is '110…'); an ID number already registered is refused by
        # services.member_register, which says by whom (the CM's own client, or another CM's, for whom the page
        # offers a hand-over request)
        return self.cleaned_data["id_number"]

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
