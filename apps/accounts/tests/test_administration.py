"""Staff, roles and sub-institutions managed from the platform site and the institution back office."""
import pytest

from apps.accounts.models import Organization, Role, User

pytestmark = pytest.mark.django_db

GOOD_PW = "Newstaff-2026x"


def staff_post(cast, org, roles, **extra):
    return {"username": "new_officer", "real_name": "新员工", "mobile": "13812345678", "email": "",
            "organization": org.pk, "roles": [r.pk for r in roles], "password": GOOD_PW, **extra}


def test_institution_admin_creates_staff_who_can_sign_in(client, cast, login):
    officer_role = Role.objects.get(organization=cast.inst_a, code="inst_officer")
    login(cast.a_admin)
    resp = client.post("/inst/staff/new/", staff_post(cast, cast.inst_a_sub, [officer_role]))
    assert resp.status_code == 302
    user = User.objects.get(username="new_officer")
    assert user.organization == cast.inst_a_sub and list(user.roles.all()) == [officer_role]
    client.post("/inst/logout/")
    resp = client.post("/inst/login/", {"username": "new_officer", "password": GOOD_PW})
    assert resp.status_code == 302


def test_bad_staff_input_shows_chinese_errors_and_changes_nothing(client, cast, login):
    officer_role = Role.objects.get(organization=cast.inst_a, code="inst_officer")
    login(cast.a_admin)
    before = User.objects.count()
    resp = client.post("/inst/staff/new/", staff_post(cast, cast.inst_a, [officer_role], mobile="12345",
                                                        password="abc", username=cast.a_viewer.username))
    page = resp.content.decode()
    assert resp.status_code == 200 and User.objects.count() == before
    assert "请输入11位中国大陆手机号" in page and "该账号已被使用" in page and "新员工" in page  # values kept


def test_institution_cannot_use_other_tenants_roles_or_units(client, cast, login):
    b_role = Role.objects.get(organization=cast.inst_b, code="inst_officer")
    a_role = Role.objects.get(organization=cast.inst_a, code="inst_officer")
    login(cast.a_admin)
    before = User.objects.count()
    resp = client.post("/inst/staff/new/", staff_post(cast, cast.inst_a, [b_role]))
    assert resp.status_code == 200 and User.objects.count() == before
    resp = client.post("/inst/staff/new/", staff_post(cast, cast.inst_b, [a_role]))
    assert resp.status_code == 200 and User.objects.count() == before
    assert client.get(f"/inst/staff/{cast.b_admin.pk}/edit/").status_code == 404
    assert client.post(f"/inst/staff/{cast.b_admin.pk}/toggle/").status_code == 404
    assert client.get(f"/inst/roles/{b_role.pk}/edit/").status_code == 404
    assert User.objects.get(pk=cast.b_admin.pk).is_active


def test_institution_admin_cannot_grant_codes_not_allowed(client, cast, login):
    login(cast.a_admin)
    resp = client.post("/inst/roles/new/", {"name": "越权角色", "code": "bad", "data_scope": 4,
                                            "permissions": ["accounts.access_platform", "common.change_parameters"],
                                            "is_active": "on"})
    assert resp.status_code == 200 and not Role.objects.filter(code="bad").exists()
    resp = client.post("/inst/roles/new/", {"name": "查看员工", "code": "staff_viewer", "data_scope": 3,
                                            "permissions": ["accounts.view_user"], "is_active": "on"})
    assert resp.status_code == 302
    role = Role.objects.get(code="staff_viewer", organization=cast.inst_a)
    codes = {p.codename for p in role.permissions.all()}
    assert codes == {"view_user", "access_inst"} and role.area == "inst"


def test_role_change_takes_effect_on_menus(client, cast, login):
    officer_role = Role.objects.get(organization=cast.inst_a, code="inst_officer")
    login(cast.a_officer)
    assert client.get("/inst/staff/").status_code == 403
    from apps.accounts.services import role_save

    role_save(actor=cast.a_admin, role=officer_role, name=officer_role.name, code=officer_role.code,
              data_scope=officer_role.data_scope, permission_codes=["accounts.view_user"], is_active=True)
    assert client.get("/inst/staff/").status_code == 200
    assert "员工账号" in client.get("/inst/").content.decode()


def test_disable_and_force_logout_end_sessions(client, cast, login):
    from django.test import Client

    victim = Client()
    login(cast.a_officer, c=victim)
    assert victim.get("/inst/").status_code == 200
    login(cast.a_admin)
    client.post(f"/inst/staff/{cast.a_officer.pk}/logout/")
    assert victim.get("/inst/").status_code == 302
    login(cast.a_officer, c=victim)
    client.post(f"/inst/staff/{cast.a_officer.pk}/toggle/")
    assert victim.get("/inst/").status_code == 302
    assert not User.objects.get(pk=cast.a_officer.pk).is_active
    resp = victim.post("/inst/login/", {"username": cast.a_officer.username, "password": cast.password})
    assert resp.status_code == 200  # disabled: cannot sign in


def test_cannot_disable_self(client, cast, login):
    login(cast.a_admin)
    resp = client.post(f"/inst/staff/{cast.a_admin.pk}/toggle/", follow=True)
    assert "不能停用自己的账号" in resp.content.decode()
    assert User.objects.get(pk=cast.a_admin.pk).is_active


def test_password_reset_validates(client, cast, login):
    login(cast.admin)
    resp = client.post(f"/platform/users/{cast.cm.pk}/password/", {"password": "123"}, follow=True)
    assert "密码" in resp.content.decode()
    assert User.objects.get(pk=cast.cm.pk).check_password(cast.password)
    client.post(f"/platform/users/{cast.cm.pk}/password/", {"password": "Brand-new-2026"})
    assert User.objects.get(pk=cast.cm.pk).check_password("Brand-new-2026")


def test_platform_admin_manages_shuyin_staff_only(client, cast, login):
    login(cast.admin)
    cm_role = Role.objects.get(organization__isnull=True, code="cm")
    resp = client.post("/platform/users/new/", staff_post(cast, cast.team, [cm_role], username="cm_new"))
    assert resp.status_code == 302 and User.objects.get(username="cm_new").organization == cast.team
    # 数银's admin does not create institution staff through this page
    resp = client.post("/platform/users/new/", staff_post(cast, cast.inst_a, [cm_role], username="x_inst"))
    assert resp.status_code == 200 and not User.objects.filter(username="x_inst").exists()


def test_sub_institution_add_edit_delete_when_empty(client, cast, login):
    login(cast.a_admin)
    resp = client.post("/inst/units/new/", {"name": "宝安支行", "code": "t-baoan", "parent": cast.inst_a.pk})
    assert resp.status_code == 302
    unit = Organization.objects.get(code="t-baoan")
    assert unit.path == f"{cast.inst_a.path}{unit.pk}/" and unit.kind == "institution"
    client.post(f"/inst/units/{unit.pk}/edit/", {"name": "宝安新支行", "code": "ignored", "parent": cast.inst_a.pk})
    unit.refresh_from_db()
    assert unit.name == "宝安新支行" and unit.code == "t-baoan"
    resp = client.post(f"/inst/units/{cast.inst_a_sub.pk}/delete/", follow=True)
    assert "仍有下级机构或员工" in resp.content.decode()
    assert Organization.objects.filter(pk=cast.inst_a_sub.pk).exists()
    client.post(f"/inst/units/{unit.pk}/delete/")
    assert not Organization.objects.filter(pk=unit.pk).exists()
    assert client.post(f"/inst/units/{cast.inst_b.pk}/delete/").status_code == 404
    assert client.post("/inst/units/new/", {"name": "越界", "code": "t-x", "parent": cast.inst_b.pk}).status_code == 200
    assert not Organization.objects.filter(code="t-x").exists()


@pytest.mark.parametrize("who,url", [
    ("a_officer", "/inst/staff/new/"), ("a_viewer", "/inst/roles/new/"), ("a_viewer", "/inst/units/new/"),
    ("cm", "/platform/users/new/"), ("a_admin", "/platform/roles/"), ("admin", "/inst/roles/"),
])
def test_admin_pages_refuse_wrong_roles(client, cast, login, who, url):
    login(getattr(cast, who))
    assert client.get(url).status_code == 403
