"""机构后台 菜单管理: an institution administrator arranges the institution's own back-office menu; the change
shows at once for that institution's staff and never for another institution."""
import re

import pytest

from apps.accounts.models import InstitutionMenu, Menu

pytestmark = pytest.mark.django_db


def sidebar(client, url="/inst/") -> str:
    html = client.get(url).content.decode()
    return re.search(r'<nav class="menu">(.*?)</nav>', html, re.S).group(1)


def key(code: str) -> str:
    return f"m{Menu.objects.get(code=code).pk}"


def form_data(client) -> dict:
    """Every field of the menu form as the page drew it (what a browser would post back unchanged)."""
    html = client.get("/inst/menus/").content.decode()
    form = html[html.index('data-testid="menu-form"'):]
    data = {}
    for name, value in re.findall(r'<input[^>]*name="((?:title|order|parent|permission)_[mg]\d+)"[^>]*value="([^"]*)"',
                                  form):
        data[name] = value
    for name, body in re.findall(r'<select[^>]*name="((?:parent|permission)_[mg]\d+)"[^>]*>(.*?)</select>', form, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected>', body)
        data[name] = chosen.group(1) if chosen else ""
    for name in re.findall(r'name="(hidden_[mg]\d+)" checked', form):
        data[name] = "on"
    return data


def test_admin_opens_the_page_and_other_roles_get_403(client, cast, login):
    login(cast.a_admin)
    resp = client.get("/inst/menus/")
    assert resp.status_code == 200
    html = resp.content.decode()
    assert "员工账号" in html and "恢复数银默认" not in html and "当前为数银默认菜单" in html
    assert "菜单管理" in sidebar(client)
    for who in ("a_officer", "a_viewer", "a_sub_user"):
        client.post("/inst/logout/")
        login(getattr(cast, who))
        assert client.get("/inst/menus/").status_code == 403
        assert client.post("/inst/menus/reset/").status_code == 403
        assert client.post("/inst/menus/groups/new/", {"title": "x"}).status_code == 403
        assert "菜单管理" not in sidebar(client)
    assert not InstitutionMenu.objects.exists()


def test_rename_hide_group_and_reorder_affect_only_this_institution(client, cast, login):
    login(cast.a_admin)
    client.post("/inst/menus/groups/new/", {"title": "日常办理", "order": "2"})
    group = InstitutionMenu.objects.get(organization=cast.inst_a, menu__isnull=True)
    data = form_data(client)
    data[f"title_{key('inst.admin.staff')}"] = "员工花名册"
    data[f"hidden_{key('inst.msg')}"] = "on"
    data[f"parent_{key('inst.dispatch.offers')}"] = f"g{group.pk}"
    resp = client.post("/inst/menus/", data)
    assert resp.status_code == 302, resp.content.decode()[:3000]
    bar = sidebar(client)
    assert "员工花名册" in bar and "员工账号" not in bar and 'href="/inst/messages/"' not in bar
    assert bar.index("日常办理") < bar.index("可受理贷款查询") < bar.index("管理员管理")  # group order 2, first
    # the institution's other staff see the same arrangement (within their rights)
    client.post("/inst/logout/")
    login(cast.a_officer)
    bar = sidebar(client)
    assert "日常办理" in bar and "可受理贷款查询" in bar and 'href="/inst/messages/"' not in bar
    # another institution: 数银's default, on its pages and on its own menu management page
    client.post("/inst/logout/")
    login(cast.b_admin)
    bar = sidebar(client)
    assert "员工账号" in bar and "员工花名册" not in bar and "日常办理" not in bar and 'href="/inst/messages/"' in bar
    page = client.get("/inst/menus/").content.decode()
    assert "员工花名册" not in page and "日常办理" not in page and "当前为数银默认菜单" in page
    assert not InstitutionMenu.objects.filter(organization=cast.inst_b).exists()


def test_an_entry_bound_to_a_further_code_shows_only_to_holders(client, cast, login):
    login(cast.a_admin)
    data = form_data(client)
    data[f"permission_{key('inst.dispatch.offers')}"] = "positions.recharge_funds"
    assert client.post("/inst/menus/", data).status_code == 302
    assert "可受理贷款查询" in sidebar(client)
    client.post("/inst/logout/")
    login(cast.a_officer)  # 业务员: holds dispatch.view_case, not positions.recharge_funds
    assert "可受理贷款查询" not in sidebar(client)


@pytest.mark.parametrize("field,value,error", [
    ("title", "", "请填写菜单名称"),
    ("title", "名" * 21, "不能超过 20 个字"),
    ("permission", "accounts.review_realname", "只能绑定数银允许机构使用的权限编码"),
    ("parent", "m999999", "请选择有效的分组"),
])
def test_bad_input_is_refused_with_a_chinese_error_and_nothing_changes(client, cast, login, field, value, error):
    login(cast.a_admin)
    data = form_data(client)
    data[f"title_{key('inst.admin.roles')}"] = "岗位权限"
    data[f"{field}_{key('inst.admin.staff')}"] = value
    resp = client.post("/inst/menus/", data)
    html = resp.content.decode()
    assert resp.status_code == 200 and error in html and "菜单未保存" in html
    assert 'value="岗位权限"' in html  # what was typed stays on the form
    assert not InstitutionMenu.objects.exists()
    assert "角色权限" in sidebar(client)


def test_a_group_cannot_be_nested(client, cast, login):
    login(cast.a_admin)
    data = form_data(client)
    data[f"parent_{key('inst.finance')}"] = key("inst.admin")
    assert "分组只能放在第一级" in client.post("/inst/menus/", data).content.decode()


def test_restore_default_and_delete_group(client, cast, login):
    login(cast.a_admin)
    client.post("/inst/menus/groups/new/", {"title": "日常办理"})
    group = InstitutionMenu.objects.get(organization=cast.inst_a, menu__isnull=True)
    data = form_data(client)
    data[f"parent_{key('inst.dispatch.offers')}"] = f"g{group.pk}"
    client.post("/inst/menus/", data)
    assert client.post(f"/inst/menus/groups/{group.pk}/delete/").status_code == 302
    offers = InstitutionMenu.objects.get(organization=cast.inst_a, menu__code="inst.dispatch.offers")
    assert offers.parent.menu.code == "inst.dispatch"  # back in 数银's default group
    data = form_data(client)
    data[f"title_{key('inst.admin.staff')}"] = "员工花名册"
    client.post("/inst/menus/", data)
    assert "恢复数银默认" in client.get("/inst/menus/").content.decode()
    assert client.post("/inst/menus/reset/").status_code == 302
    assert not InstitutionMenu.objects.filter(organization=cast.inst_a).exists()
    assert "员工账号" in sidebar(client)


def test_cross_tenant_group_is_404_and_untouched(client, cast, login):
    login(cast.b_admin)
    client.post("/inst/menus/groups/new/", {"title": "乙的分组"})
    b_group = InstitutionMenu.objects.get(organization=cast.inst_b, menu__isnull=True)
    client.post("/inst/logout/")
    login(cast.a_admin)
    assert client.post(f"/inst/menus/groups/{b_group.pk}/delete/").status_code == 404
    data = form_data(client)
    data[f"title_g{b_group.pk}"] = "被篡改"  # a key of another institution's row is not A's to post
    assert client.post("/inst/menus/", data).status_code == 302
    b_group.refresh_from_db()
    assert b_group.title == "乙的分组"


def test_menu_page_query_count_is_fixed(client, cast, login, django_assert_num_queries):
    login(cast.a_admin)
    client.post("/inst/menus/groups/new/", {"title": "日常办理"})
    client.get("/inst/menus/")  # rights and menus cached for this generation
    with django_assert_num_queries(8):
        client.get("/inst/menus/")
    for n in range(3):
        client.post("/inst/menus/groups/new/", {"title": f"分组{n}"})
    client.get("/inst/menus/")
    with django_assert_num_queries(8):  # more groups, same count
        client.get("/inst/menus/")


def test_service_refuses_another_institutions_row(cast):
    from django.core.exceptions import PermissionDenied

    from apps.accounts import services

    b_group = services.inst_menu_group_add(actor=cast.b_admin, title="乙的分组")
    with pytest.raises(PermissionDenied):
        services.inst_menu_save(actor=cast.a_admin, changes={f"g{b_group.pk}": {"title": "被篡改"}})
    with pytest.raises(InstitutionMenu.DoesNotExist):
        services.inst_menu_group_delete(actor=cast.a_admin, group_id=b_group.pk)
    with pytest.raises(PermissionDenied):
        services.inst_menu_reset(actor=cast.a_officer)
    b_group.refresh_from_db()
    assert b_group.title == "乙的分组"


def test_a_change_moves_the_menu_generation_on(cast):
    from django.core.cache import cache

    from apps.accounts import authz_cache, services

    before = cache.get(authz_cache.GEN_KEY)
    services.inst_menu_group_add(actor=cast.a_admin, title="日常办理")
    assert cache.get(authz_cache.GEN_KEY) not in (None, before)
