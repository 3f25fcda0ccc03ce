"""Menus, permission codes (403), tenancy (404) and data scope."""
import pytest

from apps.accounts.context_processors import menu_tree_for
from apps.accounts.selectors import organization_list_for_user, user_list_for_user

pytestmark = pytest.mark.django_db


def titles(tree):
    out = []
    for node in tree:
        out.append(node["title"])
        out += titles(node["children"])
    return out


def test_menu_filtered_by_role(cast):
    assert "员工账号" in titles(menu_tree_for(cast.a_admin, "inst", "/inst/"))
    officer = titles(menu_tree_for(cast.a_officer, "inst", "/inst/"))
    assert "员工账号" not in officer and "管理员管理" not in officer and "首页" in officer
    assert "用户管理" in titles(menu_tree_for(cast.admin, "platform", "/platform/"))
    assert "用户管理" not in titles(menu_tree_for(cast.cm, "platform", "/platform/"))


def test_menu_rendered_in_page(client, cast, login):
    login(cast.a_officer)
    page = client.get("/inst/").content.decode()
    assert "站内信" in page and "员工账号" not in page


@pytest.mark.parametrize("who,url", [
    ("a_officer", "/inst/staff/"),          # institution role without the code
    ("a_officer", "/inst/units/"),
    ("cm", "/platform/users/"),             # 数银 staff in the platform area
    ("cm", "/platform/institutions/"),
    ("a_admin", "/ops/"),                   # institution user in 数银's area
    ("a_admin", "/platform/logs/operations/"),
    ("admin", "/inst/staff/"),              # platform admin in the institution area
    ("admin", "/ops/messages/"),
])
def test_wrong_role_or_area_is_403(client, cast, login, who, url):
    login(getattr(cast, who))
    assert client.get(url).status_code == 403


def test_django_admin_is_for_superusers_only(client, cast, login):
    login(cast.admin)
    resp = client.get("/django-admin/")
    assert resp.status_code == 302 and "login" in resp["Location"]


def test_cross_tenant_objects_are_404(client, cast, login):
    login(cast.a_admin)
    assert client.get(f"/inst/staff/{cast.a_officer.pk}/").status_code == 200
    assert client.get(f"/inst/staff/{cast.b_admin.pk}/").status_code == 404
    assert client.get(f"/inst/staff/{cast.cm.pk}/").status_code == 404
    assert client.get(f"/inst/units/{cast.inst_b.pk}/").status_code == 404
    assert client.get(f"/inst/units/{cast.shuyin.pk}/").status_code == 404
    page = client.get("/inst/staff/?size=100").content.decode()
    assert cast.b_admin.username not in page and cast.cm.username not in page


def test_data_scope_parent_sees_subtree(cast):
    visible = set(organization_list_for_user(user=cast.a_admin))
    assert visible == {cast.inst_a, cast.inst_a_sub, cast.inst_a_sub2}
    staff = set(user_list_for_user(user=cast.a_admin))
    assert cast.a_sub_user in staff and cast.b_admin not in staff


def test_data_scope_sub_institution_sees_only_itself(client, cast, login):
    assert set(organization_list_for_user(user=cast.a_sub_user)) == {cast.inst_a_sub}
    assert set(user_list_for_user(user=cast.a_sub_user)) == {cast.a_sub_user}
    login(cast.a_sub_user)
    assert client.get(f"/inst/units/{cast.inst_a_sub.pk}/").status_code == 200
    assert client.get(f"/inst/units/{cast.inst_a.pk}/").status_code == 404      # parent
    assert client.get(f"/inst/units/{cast.inst_a_sub2.pk}/").status_code == 404  # sibling
    assert client.get(f"/inst/staff/{cast.a_admin.pk}/").status_code == 404


def test_data_scope_team_leader_sees_team_only(cast):
    team = set(user_list_for_user(user=cast.tl))
    assert cast.cm in team and cast.cm2 not in team


def test_self_scope_sees_only_self(cast):
    assert set(user_list_for_user(user=cast.a_officer)) == {cast.a_officer}


def test_platform_sees_all_institutions(client, cast, login):
    login(cast.admin)
    page = client.get("/platform/institutions/").content.decode()
    assert "甲机构" in page and "乙机构" in page
    assert client.get(f"/platform/institutions/{cast.inst_b.pk}/").status_code == 200


def test_object_level_grant_through_guardian(cast):
    from guardian.shortcuts import assign_perm

    assert not cast.a_officer.has_perm("accounts.view_organization", cast.inst_a_sub)
    assign_perm("accounts.view_organization", cast.a_officer, cast.inst_a_sub)
    from apps.accounts.models import User

    officer = User.objects.get(pk=cast.a_officer.pk)
    assert officer.has_perm("accounts.view_organization", cast.inst_a_sub)
    assert not officer.has_perm("accounts.view_organization")


def test_state_changing_requests_are_logged(client, cast, login):
    from apps.common.models import OperationLog

    login(cast.cm)
    client.post("/ops/messages/read-all/")
    log = OperationLog.objects.filter(user=cast.cm, path="/ops/messages/read-all/").get()
    assert log.status_code == 302 and log.area == "ops" and log.view_name == "ops:message_mark_all_read"
    assert OperationLog.objects.filter(path="/ops/login/", username=cast.cm.username).exists()


@pytest.mark.parametrize("rows", [5, 60])
def test_user_list_query_count_is_fixed(client, cast, login, django_assert_num_queries, rows):
    from apps.accounts.services import institution_role, user_create

    role = institution_role(cast.inst_a, "inst_officer")
    for i in range(rows):
        user_create(username=f"bulk{i}", password=None, real_name=f"批量{i}", organization=cast.inst_a_sub, roles=[role])
    login(cast.a_admin)
    client.get("/inst/staff/?size=100")  # warm the session
    with django_assert_num_queries(7):  # user+organisation, count, page, roles, header cards (rights, menus: authz_cache; unread: pagecache)
        resp = client.get("/inst/staff/?size=100")
    assert resp.status_code == 200


def test_platform_logs_pages(client, cast, login):
    login(cast.admin)
    assert "登录日志" in client.get("/platform/logs/logins/").content.decode()
    assert client.get("/platform/logs/operations/?username=t_").status_code == 200


def test_log_exports_are_filtered_csv(client, cast, login):
    login(cast.cm)
    client.post("/ops/messages/read-all/")
    client.post("/ops/logout/")
    login(cast.admin)
    resp = client.get("/platform/logs/operations/?export=csv&username=t_cm")
    body = b"".join(resp.streaming_content).decode("utf-8-sig")
    assert resp["Content-Type"].startswith("text/csv")
    lines = body.strip().splitlines()
    assert lines[0].startswith("时间,操作人账号") and all(",t_cm," in line for line in lines[1:]) and len(lines) >= 2
    resp = client.get("/platform/logs/logins/?export=csv&success=true")
    rows = b"".join(resp.streaming_content).decode("utf-8-sig").strip().splitlines()[1:]
    assert rows and all(",成功," in row for row in rows)
    client.post("/platform/logout/")
    login(cast.a_admin)
    assert client.get("/platform/logs/operations/?export=csv").status_code == 403


def test_only_the_most_specific_menu_item_is_active(cast):
    tree = menu_tree_for(cast.a_admin, "inst", "/inst/staff/new/")
    active = [c["title"] for n in tree for c in n["children"] if c["active"]]
    assert active == ["员工账号"]
