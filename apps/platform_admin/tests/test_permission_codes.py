"""权限编码信息维护 (issue 18 §6): every code with its name, module, menus and roles; a disabled code grants
nothing anywhere (and moves the rights cache's generation); link-only codes; a code a view checks stays."""
import re

import pytest
from django.contrib.auth.models import Permission
from django.core.cache import cache

from apps.accounts import authz_cache, permcodes
from apps.accounts.models import Menu, PermissionCode, Role

pytestmark = pytest.mark.django_db


def perm(code):
    app, codename = code.split(".")
    return Permission.objects.get(content_type__app_label=app, codename=codename)


def test_the_list_shows_every_code_with_its_menus_and_roles(client, cast, login, django_assert_num_queries):
    login(cast.admin)
    client.get("/platform/permission-codes/")  # warm the per-process caches (menus, view codes)
    with django_assert_num_queries(4):
        html = client.get("/platform/permission-codes/?size=100").content.decode()
    row = re.search(r'<tr data-code="applications.review_lr">.*?</tr>', html, re.S).group(0)
    assert "贷审" in row and "贷款申请与审核" in row and "贷审审核队列" not in row
    assert Permission.objects.count() > 100
    assert "共" in html and "权限编码" in html
    # the count does not grow with the codes
    for i in range(5):
        permcodes.permission_code_add(actor=cast.admin, codename=f"link_extra{i}", name=f"帮助{i}")
    client.get("/platform/permission-codes/")  # the rights were recomputed at the new generation
    with django_assert_num_queries(4):
        client.get("/platform/permission-codes/?size=100")
    # a menu using the code is named on its row
    html = client.get("/platform/permission-codes/?q=accounts.view_loginlog").content.decode()
    assert "登录日志" in html and "系统管理员" in html


def test_filters_by_module_status_and_text(client, cast, login):
    login(cast.admin)
    info = permcodes.permission_code_update(actor=cast.admin, permission=perm("reports.view_ranking"),
                                            name="查看区域排名", description="", is_active=False)
    assert not info.is_active
    html = client.get("/platform/permission-codes/?status=disabled").content.decode()
    assert html.count('<tr data-code=') == 1 and "reports.view_ranking" in html
    html = client.get("/platform/permission-codes/", {"group": "报表与排名", "size": 100}).content.decode()
    codes = set(re.findall(r'<tr data-code="([^"]+)"', html))
    assert codes and all(c.startswith("reports.") for c in codes)
    html = client.get("/platform/permission-codes/", {"q": "区域排名"}).content.decode()
    assert "reports.view_ranking" in html and "reports.export_report" not in html


def test_refused_to_other_roles_and_areas(client, cast, login):
    login(cast.a_admin)
    assert client.get("/platform/permission-codes/").status_code == 403
    client.post("/inst/logout/")
    login(cast.cm)
    assert client.get("/platform/permission-codes/").status_code == 403
    target = perm("applications.review_lr")
    assert client.post(f"/platform/permission-codes/{target.pk}/edit/",
                       {"name": "x", "description": "", "is_active": ""}).status_code == 403
    assert not PermissionCode.objects.exists()


def test_a_missing_code_answers_404(client, cast, login):
    login(cast.admin)
    assert client.get("/platform/permission-codes/999999/edit/").status_code == 404
    assert client.post("/platform/permission-codes/999999/delete/").status_code == 404


def test_a_disabled_code_denies_the_view_and_moves_the_generation(client, cast, login):
    login(cast.lr)
    assert client.get("/ops/queues/lr/").status_code == 200
    gen = cache.get(authz_cache.GEN_KEY)
    admin_client = type(client)()
    login(cast.admin, c=admin_client)
    target = perm("applications.view_application")
    resp = admin_client.post(f"/platform/permission-codes/{target.pk}/edit/",
                             {"name": "查看贷款申请", "description": "队列与详情", "is_active": ""})
    assert resp.status_code == 302
    assert cache.get(authz_cache.GEN_KEY) != gen
    assert client.get("/ops/queues/lr/").status_code == 403
    assert not type(cast.lr).objects.get(pk=cast.lr.pk).has_perm("applications.view_application")
    # the role still lists it (nothing else was changed): enabling it again restores the right
    assert Role.objects.get(organization__isnull=True, code="lr").permissions.filter(pk=target.pk).exists()
    admin_client.post(f"/platform/permission-codes/{target.pk}/edit/",
                      {"name": "查看贷款申请", "description": "", "is_active": "on"})
    assert client.get("/ops/queues/lr/").status_code == 200


def test_a_disabled_code_denies_a_superuser_too(cast):
    cast.admin.is_superuser = True
    cast.admin.save()
    user = type(cast.admin).objects.get(pk=cast.admin.pk)
    assert user.has_perm("reports.view_ranking")
    permcodes.permission_code_update(actor=cast.admin, permission=perm("reports.view_ranking"), name="",
                                     description="", is_active=False)
    user = type(cast.admin).objects.get(pk=cast.admin.pk)
    assert not user.has_perm("reports.view_ranking") and user.has_perm("reports.export_report")


def test_rename_shows_everywhere_and_the_platform_entry_cannot_be_disabled(client, cast, login):
    login(cast.admin)
    target = perm("accounts.access_platform")
    html = client.post(f"/platform/permission-codes/{target.pk}/edit/",
                       {"name": "进入后台", "description": "", "is_active": ""}).content.decode()
    assert "不能停用" in html
    assert not PermissionCode.objects.filter(permission=target).exists()
    ranking = perm("reports.view_ranking")
    client.post(f"/platform/permission-codes/{ranking.pk}/edit/",
                {"name": "查看本区域排名", "description": "", "is_active": "on"})
    role = Role.objects.get(organization__isnull=True, code="sysadmin")
    html = client.get(f"/platform/roles/{role.pk}/edit/").content.decode()
    assert "查看本区域排名" in html or "reports.view_ranking" not in html


def test_add_a_link_code_use_it_in_a_menu_and_delete_rules(client, cast, login):
    login(cast.admin)
    html = client.post("/platform/permission-codes/new/", {"codename": "Bad code", "name": "帮助"}).content.decode()
    assert "只能包含小写字母" in html
    assert client.post("/platform/permission-codes/new/",
                       {"codename": "link_help", "name": "帮助中心", "description": "打开帮助页面"}).status_code == 302
    html = client.post("/platform/permission-codes/new/", {"codename": "link_help", "name": "又一个"}).content.decode()
    assert "已存在" in html
    code = perm("accounts.link_help")
    assert code.code_info.link_only and code.code_info.name == "帮助中心"
    group = Menu.objects.get(code="platform.sys")
    assert client.post("/platform/menus/new/", {
        "code": "platform.sys.help", "area": "platform", "parent": group.pk, "title": "帮助",
        "url_name": "platform:home", "permission": "accounts.link_help", "icon": "", "order": 99,
        "is_active": "on"}).status_code == 302
    html = client.get("/platform/permission-codes/?q=link_help").content.decode()
    assert "帮助中心" in html and "菜单链接" in html and "平台管理后台·帮助" in html
    # in use by a menu: refused; a code a view checks: refused
    resp = client.post(f"/platform/permission-codes/{code.pk}/delete/", follow=True)
    assert "请先修改这些菜单" in resp.content.decode()
    checked = perm("applications.view_application")
    resp = client.post(f"/platform/permission-codes/{checked.pk}/delete/", follow=True)
    assert "不能删除" in resp.content.decode() and Permission.objects.filter(pk=checked.pk).exists()
    Menu.objects.get(code="platform.sys.help").delete()
    client.post(f"/platform/permission-codes/{code.pk}/delete/")
    assert not Permission.objects.filter(pk=code.pk).exists()


def test_view_checked_codes_match_the_system_check():
    from apps.accounts.checks import iter_area_patterns

    stated = {c for _ns, p in iter_area_patterns() for c in getattr(p.callback, "required_perms", ())}
    assert set(permcodes.view_checked_codes()) == stated
    assert "applications.review_lr" in stated or "applications.view_application" in stated


def test_every_label_is_chinese():
    latin = [permcodes.code_of(p) for p in Permission.objects.select_related("content_type")
             if re.search(r"[A-Za-z]", permcodes.default_label(p))]
    assert latin == []
