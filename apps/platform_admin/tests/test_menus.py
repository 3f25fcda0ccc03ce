import pytest

from apps.accounts.models import Menu

pytestmark = pytest.mark.django_db


def test_menu_crud_with_validation(client, cast, login):
    login(cast.admin)
    group = Menu.objects.get(code="inst.admin")
    base = {"code": "inst.admin.extra", "area": "inst", "parent": group.pk, "title": "员工名册",
            "url_name": "inst:nope", "permission": "accounts.view_user", "icon": "", "order": 9, "is_active": "on"}
    resp = client.post("/platform/menus/new/", base)
    assert "路由名不存在" in resp.content.decode()
    resp = client.post("/platform/menus/new/", {**base, "url_name": "inst:staff_list", "permission": "x.y"})
    assert "权限代码不存在" in resp.content.decode()
    resp = client.post("/platform/menus/new/", {**base, "url_name": "inst:staff_list", "permission": ""})
    assert "必须填写权限代码" in resp.content.decode()
    assert not Menu.objects.filter(code="inst.admin.extra").exists()
    assert client.post("/platform/menus/new/", {**base, "url_name": "inst:staff_list"}).status_code == 302
    item = Menu.objects.get(code="inst.admin.extra")
    client.post("/platform/logout/")
    login(cast.a_admin)
    assert "员工名册" in client.get("/inst/").content.decode()
    client.post("/inst/logout/")
    login(cast.admin)
    resp = client.post(f"/platform/menus/{group.pk}/delete/", follow=True)
    assert "还有子菜单" in resp.content.decode()
    client.post(f"/platform/menus/{item.pk}/delete/")
    assert not Menu.objects.filter(pk=item.pk).exists()
    assert "菜单与权限代码" in client.get("/platform/menus/").content.decode()


def test_menus_refused_to_others(client, cast, login):
    login(cast.a_admin)
    assert client.get("/platform/menus/").status_code == 403


def test_menu_list_names_permission_codes_in_chinese(client, cast, login):
    login(cast.admin)
    html = client.get("/platform/menus/").content.decode()
    assert "查看登录日志 <small" in html and "查看区域排名 <small" in html and "查看ranking" not in html
