import pytest

from apps.common.models import SystemParameterChange
from apps.common.params import param_get

pytestmark = pytest.mark.django_db


def test_parameter_change_is_validated_recorded_and_effective_at_once(client, cast, login):
    login(cast.admin)
    page = client.get("/platform/parameters/").content.decode()
    assert "登录失败锁定次数" in page
    resp = client.post("/platform/parameters/security.login_failure_limit/", {"value": "abc", "reason": "测试"})
    assert "应为整数" in resp.content.decode() and param_get("security.login_failure_limit") == 5
    resp = client.post("/platform/parameters/security.login_failure_limit/", {"value": "99", "reason": "测试"})
    assert "不能大于 20" in resp.content.decode()
    resp = client.post("/platform/parameters/security.login_failure_limit/", {"value": "3", "reason": "加强安全"})
    assert resp.status_code == 302 and param_get("security.login_failure_limit") == 3
    change = SystemParameterChange.objects.get()
    assert (change.old_value, change.new_value, change.changed_by, change.reason) == ("5", "3", cast.admin, "加强安全")


def test_lockout_follows_the_parameter_without_restart(client, cast, login):
    from apps.common.params import param_set

    param_set(key="security.login_failure_limit", raw="3", user=cast.admin)
    for _ in range(3):
        client.post("/ops/login/", {"username": cast.cs.username, "password": "wrong-password-9"})
    assert client.post("/ops/login/", {"username": cast.cs.username, "password": cast.password}).status_code == 429


def test_parameters_refused_to_other_roles(client, cast, login):
    login(cast.cm)
    assert client.get("/platform/parameters/").status_code == 403
    client.post("/ops/logout/")
    login(cast.a_admin)
    assert client.get("/platform/parameters/").status_code == 403
    assert client.post("/platform/parameters/security.login_failure_limit/", {"value": "3", "reason": "x"}).status_code == 403
    assert param_get("security.login_failure_limit") == 5


def test_values_read_as_users_think_of_them(client, cast, login):
    from apps.common.params import Param, param_set

    flag = Param("x.flag", "开关", "bool", True)
    assert (flag.show(True), flag.show(False), flag.show_stored("false")) == ("是", "否", "否")
    param_set(key="dispatch.cluster_levels", raw="district,city,national", user=cast.admin, reason="跳过全省")
    login(cast.admin)
    page = client.get("/platform/parameters/").content.decode()
    assert "区县 → 地市 → 全国" in page and "区县 → 地市 → 全省 → 全国" in page
    assert "district,city" not in page.replace('value="district', "")
    assert "5 次" in page or "5 " in page
    edit = client.get("/platform/parameters/dispatch.cluster_levels/").content.decode()
    assert "当前值：<strong>区县 → 地市 → 全国</strong>" in edit
