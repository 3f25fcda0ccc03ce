import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.accounts.models import Organization, RealNameVerification, User
from apps.messaging.models import Message
from tests.fixtures.files import PNG

pytestmark = pytest.mark.django_db


def photo():
    return SimpleUploadedFile("id.png", PNG, content_type="image/png")


def test_my_profile_and_password(client, cast, login):
    login(cast.cs)
    resp = client.post("/ops/me/", {"profile": "1", "real_name": "李客服", "mobile": "123", "email": ""})
    assert "手机号" in resp.content.decode() and User.objects.get(pk=cast.cs.pk).real_name != "李客服"
    client.post("/ops/me/", {"profile": "1", "real_name": "李客服", "mobile": "13811112222", "email": ""})
    assert User.objects.get(pk=cast.cs.pk).real_name == "李客服"
    resp = client.post("/ops/me/", {"password": "1", "old_password": cast.password,
                                    "new_password1": "Changed-pass-2026", "new_password2": "Changed-pass-2026"})
    assert resp.status_code == 302 and client.get("/ops/").status_code == 200  # still signed in
    assert User.objects.get(pk=cast.cs.pk).check_password("Changed-pass-2026")


def test_head_and_officer_verification_decided_by_shuyin(client, cast, login, settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    login(cast.a_admin)
    resp = client.post("/inst/profile/", {"subject": "head", "real_name": "张三", "id_number": "110105194912310021",
                                          "id_photo": photo()})
    assert "校验位不正确" in resp.content.decode() and not RealNameVerification.objects.exists()
    client.post("/inst/profile/", {"subject": "head", "real_name": "张三", "id_number": "11010519491231002x",
                                   "id_photo": photo()})
    client.post("/inst/profile/", {"subject": "staff", "user": cast.a_officer.pk, "real_name": "李四",
                                   "id_number": "11010519491231002X", "id_photo": photo()})
    assert RealNameVerification.objects.count() == 2
    resp = client.post("/inst/profile/", {"subject": "staff", "user": cast.b_admin.pk, "real_name": "外人",
                                          "id_number": "11010519491231002X", "id_photo": photo()})
    assert resp.status_code == 200 and RealNameVerification.objects.count() == 2  # another tenant's staff
    page = client.get("/inst/profile/").content.decode()
    assert "110***********002X" in page and "11010519491231002X" not in page

    from django.test import Client

    staff = Client()
    login(cast.admin, c=staff)
    head = RealNameVerification.objects.get(subject="head")
    officer = RealNameVerification.objects.get(subject="staff")
    staff.post(f"/platform/verifications/{head.pk}/decide/", {"decision": "approve"})
    resp = staff.post(f"/platform/verifications/{officer.pk}/decide/", {"decision": "reject", "reason": ""},
                      follow=True)
    assert "请填写驳回原因" in resp.content.decode()
    staff.post(f"/platform/verifications/{officer.pk}/decide/", {"decision": "reject", "reason": "照片模糊"})
    assert Organization.objects.get(pk=cast.inst_a.pk).head_name == "张三"
    assert RealNameVerification.objects.get(pk=officer.pk).status == "rejected"
    assert Message.objects.filter(recipient=cast.a_admin, title__contains="照片模糊").exists()


def test_officer_cannot_submit_and_others_cannot_review(client, cast, login, settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    login(cast.a_officer)
    assert client.get("/inst/profile/").status_code == 200
    assert client.post("/inst/profile/", {"subject": "head", "real_name": "x", "id_number": "11010519491231002X",
                                          "id_photo": photo()}).status_code == 403
    client.post("/inst/logout/")
    login(cast.a_admin)
    assert client.get("/platform/verifications/").status_code == 403


def test_follower_shown_in_institution_header(client, cast, login):
    login(cast.admin)
    resp = client.post(f"/platform/institutions/{cast.inst_a.pk}/edit/", {
        "name": "甲机构", "short_name": "", "credit_code": "9144030071526726XG", "address": "", "contact_name": "",
        "contact_phone": "", "head_mobile": "", "follower": cast.of.pk})
    assert resp.status_code == 302
    client.post("/platform/logout/")
    User.objects.filter(pk=cast.of.pk).update(mobile="13900000031")
    login(cast.a_sub_user)
    header = client.get("/inst/").content.decode()
    assert "跟单经理" in header and "13900000031" in header
