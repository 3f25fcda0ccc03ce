"""Online join → 数银 review → activation → first sign-in; direct creation; suspend and resume."""
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfReader

from apps.accounts.models import InstitutionApplication, Organization, User
from apps.regions.models import Region
from tests.fixtures.files import PDF

pytestmark = pytest.mark.django_db


def join_data(**extra):
    return {"name": "苏州工业园区小贷", "credit_code": "91350100M000100Y43",
            "region": Region.objects.get(code="3205").pk, "address": "星湖街 1 号", "contact_name": "顾先生",
            "contact_mobile": "13912345678", "admin_username": "suzhou_admin",
            "licence": SimpleUploadedFile("licence.pdf", PDF, content_type="application/pdf"), **extra}


def test_join_review_approve_activate_first_login(client, cast, login, settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    resp = client.post("/join/", join_data())
    assert resp.status_code == 302
    app = InstitutionApplication.objects.get()
    status_url = resp["Location"]
    assert "待审核" in client.get(status_url).content.decode()
    assert len(PdfReader(tmp_path / app.licence_file).pages) == 1  # stored as pypdf wrote it again

    from django.test import Client

    staff = Client()
    login(cast.admin, c=staff)
    assert staff.get(f"/platform/institutions/applications/{app.pk}/licence/").status_code == 200
    resp = staff.post(f"/platform/institutions/applications/{app.pk}/", {"approve": "1", "code": "suzhou"}, follow=True)
    assert "已通过并创建机构" in resp.content.decode()
    org = Organization.objects.get(code="suzhou")
    assert org.credit_code == "91350100M000100Y43" and org.kind == "institution"
    admin = User.objects.get(username="suzhou_admin")
    assert admin.organization == org and not admin.has_usable_password()
    assert set(admin.roles.values_list("code", flat=True)) == {"inst_admin"}

    page = client.get(status_url).content.decode()
    link = re.search(r'href="(/inst/activate/[^"]+)"', page).group(1)
    resp = client.post(link, {"new_password1": "Suzhou-first-2026", "new_password2": "Suzhou-first-2026"})
    assert resp.status_code == 302
    assert client.get(link).status_code == 400  # one-time
    resp = client.post("/inst/login/", {"username": "suzhou_admin", "password": "Suzhou-first-2026"})
    assert resp.status_code == 302
    assert "苏州工业园区小贷" in client.get("/inst/").content.decode()
    # approving twice does nothing more
    resp = staff.post(f"/platform/institutions/applications/{app.pk}/", {"approve": "1", "code": "suzhou2"}, follow=True)
    assert not Organization.objects.filter(code="suzhou2").exists()


@pytest.mark.parametrize("field,value,message", [
    ("credit_code", "91350100M000100Y44", "校验位不正确"),
    ("credit_code", "123", "应为 18 位"),
    ("contact_mobile", "1391234", "手机号"),
    ("licence", SimpleUploadedFile("licence.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf"),
     "只能上传 PDF、JPG 或 PNG"),
])
def test_join_bad_input(client, db, settings, tmp_path, field, value, message):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    resp = client.post("/join/", join_data(**{field: value}))
    assert resp.status_code == 200 and message in resp.content.decode()
    assert not InstitutionApplication.objects.exists() and not any(tmp_path.rglob("*.*"))


def test_reject_with_reason(client, cast, login, settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    client.post("/join/", join_data())
    app = InstitutionApplication.objects.get()
    from django.test import Client

    staff = Client()
    login(cast.admin, c=staff)
    staff.post(f"/platform/institutions/applications/{app.pk}/", {"reject": "1", "reason": "营业执照不清晰"})
    app = InstitutionApplication.objects.get(pk=app.pk)  # protected FSM field: re-read, not refresh
    assert app.status == "rejected" and app.reviewed_by == cast.admin
    assert "营业执照不清晰" in client.get(f"/join/{app.reference}/").content.decode()
    assert not Organization.objects.filter(name="苏州工业园区小贷").exists()


def test_direct_creation_and_suspension(client, cast, login):
    login(cast.admin)
    resp = client.post("/platform/institutions/new/", {
        "name": "无锡直建机构", "code": "wuxi", "credit_code": "9144030071526726XG",
        "region": Region.objects.get(code="3202").pk, "address": "", "contact_name": "钱", "contact_phone": "0510-1",
        "admin_username": "wuxi_admin", "admin_real_name": "钱管理"})
    assert resp.status_code == 302
    org = Organization.objects.get(code="wuxi")
    client.post(f"/platform/institutions/{cast.inst_a.pk}/toggle/")
    assert not Organization.objects.get(pk=cast.inst_a_sub.pk).is_active
    from django.test import Client

    resp = Client().post("/inst/login/", {"username": cast.a_sub_user.username, "password": cast.password})
    assert resp.status_code == 200  # suspended tree cannot sign in
    client.post(f"/platform/institutions/{cast.inst_a.pk}/toggle/")
    assert Organization.objects.get(pk=cast.inst_a_sub.pk).is_active
    assert org.roles.filter(code="inst_admin").exists()


@pytest.mark.parametrize("who,url", [
    ("cm", "/platform/institutions/applications/"), ("a_admin", "/platform/institutions/new/"),
    ("cs", "/platform/institutions/new/"),
])
def test_onboarding_pages_refuse_other_roles(client, cast, login, who, url):
    login(getattr(cast, who))
    assert client.get(url).status_code == 403


def test_institution_cannot_suspend_others(client, cast, login):
    login(cast.a_admin)
    assert client.post(f"/platform/institutions/{cast.inst_b.pk}/toggle/").status_code == 403
    assert Organization.objects.get(pk=cast.inst_b.pk).is_active
