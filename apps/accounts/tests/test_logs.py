"""操作日志 and 登录日志 in plain Chinese (issue 18 §9): module, action, object, result, operator, address, time;
filters on each; CSV export."""
import re

import pytest

from apps.accounts.models import LoginLog, Role
from apps.common.models import OperationLog
from apps.common.oplog import describe

pytestmark = pytest.mark.django_db


def staff_post(client, cast, **extra):
    role = Role.objects.get(organization__isnull=True, code="cs")
    data = {"username": "newcs", "real_name": "新客服", "mobile": "13800001111", "email": "",
            "organization": cast.admin.organization_id, "roles": [role.pk], "password": "Shuyin-Strong-2026!",
            **extra}
    return client.post("/platform/users/new/", data)


def test_rows_say_module_action_object_and_result(client, cast, login):
    login(cast.admin)
    assert staff_post(client, cast, mobile="123").status_code == 200  # refused form
    assert staff_post(client, cast).status_code == 302
    failed, done = OperationLog.objects.filter(path="/platform/users/new/").order_by("id")
    assert (failed.module, failed.action, failed.target, failed.success) == ("账号与权限", "新增", "员工账号", False)
    assert (done.action, done.success) == ("新增", True)
    new = type(cast.admin).objects.get(username="newcs")
    client.post(f"/platform/users/{new.pk}/toggle/")
    log = OperationLog.objects.get(path=f"/platform/users/{new.pk}/toggle/")
    assert (log.action, log.target, log.success, log.ip) == ("启用/停用", f"员工账号 #{new.pk}", True, "127.0.0.1")
    client.post("/platform/parameters/security.login_failure_limit/", {"value": "4", "reason": "测试"})
    log = OperationLog.objects.get(path="/platform/parameters/security.login_failure_limit/")
    assert (log.module, log.action, log.target) == ("平台管理后台", "修改", "系统参数 security.login_failure_limit")
    assert OperationLog.objects.get(path="/platform/login/").action == "登录"


def test_a_view_missing_from_the_table_still_reads_chinese():
    from apps.dispatch import views

    module, action, target = describe(url_name="widget_remove", func=views.cluster_list, kwargs={"pk": 3})
    assert (module, action, target) == ("系统派发", "删除", "系统派发 #3")
    assert describe(url_name="", func=None, kwargs={})[1] == "其他"


def test_the_page_shows_chinese_and_filters_by_each(client, cast, login, django_assert_num_queries):
    login(cast.cm)
    client.post("/ops/messages/read-all/")
    client.post("/ops/logout/")
    login(cast.admin)
    staff_post(client, cast, mobile="123")
    html = client.get("/platform/logs/operations/").content.decode()
    assert "POST" not in html and "ops:message_mark_all_read" not in html
    assert "站内信" in html and "修改" in html and "数银业务" in html and "失败" in html
    for query, present, absent in [
        ({"module": "站内信"}, "站内信", "员工账号"),
        ({"action": "新增"}, "员工账号", ">站内信<"),
        ({"success": "false"}, "员工账号", ">站内信<"),
        ({"target": "员工"}, "员工账号", ">站内信<"),
        ({"username": "t_cm"}, "站内信", "员工账号"),
        ({"area": "ops"}, "站内信", "员工账号"),
        ({"ip": "10."}, "暂无", "员工账号"),
    ]:
        body = client.get("/platform/logs/operations/", query).content.decode()
        rows = re.search(r"<tbody>(.*)</tbody>", body, re.S).group(1)
        assert present in rows and absent not in rows, query
    client.get("/platform/logs/operations/?size=100")
    with django_assert_num_queries(3):  # user+organisation, count, page (operator joined)
        client.get("/platform/logs/operations/?size=100")
    for i in range(30):
        OperationLog.objects.create(user=cast.cm, username="t_cm", area="ops", method="POST", path=f"/x/{i}/",
                                    status_code=302, module="站内信", action="修改", target="站内信")
    with django_assert_num_queries(3):  # user+organisation, count, page (operator joined)
        client.get("/platform/logs/operations/?size=100")


def test_csv_export_in_chinese_follows_the_filter(client, cast, login):
    login(cast.admin)
    staff_post(client, cast, mobile="123")
    staff_post(client, cast)
    resp = client.get("/platform/logs/operations/?export=csv&success=false")
    lines = b"".join(resp.streaming_content).decode("utf-8-sig").strip().splitlines()
    assert lines[0] == "时间,操作人账号,操作人,区域,系统模块,操作类型,操作对象,结果,操作地址,路径"
    assert len(lines) == 2 and ",平台管理后台,账号与权限,新增,员工账号,失败,127.0.0.1," in lines[1]


def test_login_log_in_chinese_with_filters(client, cast, login):
    client.post("/ops/login/", {"username": cast.cm.username, "password": "wrong-password-1"})
    login(cast.admin)
    html = client.get("/platform/logs/logins/").content.decode()
    assert "平台管理后台" in html and "数银业务" in html and "登录地址" in html
    body = client.get("/platform/logs/logins/", {"area": "ops", "success": "false"}).content.decode()
    rows = re.search(r"<tbody>(.*)</tbody>", body, re.S).group(1)
    assert cast.cm.username in rows and cast.admin.username not in rows
    resp = client.get("/platform/logs/logins/?export=csv&area=platform")
    lines = b"".join(resp.streaming_content).decode("utf-8-sig").strip().splitlines()
    assert lines[0].startswith("时间,账号,姓名,登录入口,结果")
    assert len(lines) == 1 + LoginLog.objects.filter(area="platform").count()
    assert all(",平台管理后台,成功," in line for line in lines[1:])


def test_logs_refused_to_other_roles(client, cast, login):
    login(cast.a_admin)
    assert client.get("/platform/logs/logins/").status_code == 403
    client.post("/inst/logout/")
    login(cast.cs)
    assert client.get("/platform/logs/operations/").status_code == 403
