"""The pages: 通知设置 in every area, 通知默认设置, 群机器人 (institution and platform), 通知发送记录 and the
演示邮箱 — allowed, wrong role (403), another institution's robot (404), fixed query counts."""
import mailbox

import pytest
from django.urls import reverse

from apps.notifications import services
from apps.notifications.models import Delivery, Preference, Robot, RoleDefault

pytestmark = pytest.mark.django_db
WECOM = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key="


@pytest.mark.parametrize("who,area", [("cm", "ops"), ("admin", "platform"), ("a_viewer", "inst")])
def test_everyone_sets_their_own_channels(cast, login, client, who, area):
    user = getattr(cast, who)
    login(user, area)
    url = reverse(f"{area}:notification_settings")
    page = client.get(url).content.decode()
    assert "通知设置" in page and 'value="offer.expiring:sms"' in page
    resp = client.post(url, {"selected": ["offer.created:sms", "complaint.due:email"]})
    assert resp.status_code == 302
    assert set(Preference.objects.filter(user=user, enabled=True).values_list("event", "channel")) == {
        ("offer.created", "sms"), ("complaint.due", "email")}
    # everything not ticked is stated as off (the page shows every cell)
    assert services.choices_for(user_ids=[user.pk], event="offer.expiring") == {user.pk: set()}


def test_role_defaults_page(cast, login, client):
    login(cast.admin, "platform")
    url = reverse("platform:notification_defaults")
    assert "通知默认设置" in client.get(url + "?role=inst_officer").content.decode()
    client.post(url, {"role": "inst_officer", "selected": ["offer.created:sms"]})
    assert RoleDefault.objects.get(role_code="inst_officer", event="offer.created", channel="sms").enabled
    assert services.choices_for(user_ids=[cast.a_officer.pk], event="offer.created") == {cast.a_officer.pk: {"sms"}}
    assert client.get(url + "?role=nope").status_code == 404
    login(cast.cm, "ops")
    assert client.get("/platform/notifications/defaults/").status_code in (302, 403)


def test_institution_admin_connects_a_robot_and_cannot_touch_another_institutions(cast, login, client):
    login(cast.a_admin, "inst")
    resp = client.post(reverse("inst:robot_create"), {
        "kind": "dingtalk", "name": "甲机构派单群", "webhook_url": "https://oapi.dingtalk.com/robot/send?access_token=abc123",
        "secret": "SECxyz", "events": ["offer.created", "offer.expiring"], "is_active": "on"})
    assert resp.status_code == 302, resp.content.decode()[:3000]
    robot = Robot.objects.get(organization=cast.inst_a)
    assert robot.secret == "SECxyz" and robot.events == ["offer.created", "offer.expiring"]
    page = client.get(reverse("inst:robot_list")).content.decode()
    assert "甲机构派单群" in page and "abc123" not in page and "access_token=abc1****" in page
    # editing with the secret left blank keeps it
    client.post(reverse("inst:robot_edit", args=[robot.pk]), {
        "kind": "dingtalk", "name": "甲机构派单群（新）", "webhook_url": robot.webhook_url, "secret": "",
        "events": ["offer.created"], "is_active": "on"})
    robot.refresh_from_db()
    assert robot.name == "甲机构派单群（新）" and robot.secret == "SECxyz"
    # a host that is not 企业微信/钉钉 is refused with a message saying where to copy it from
    resp = client.post(reverse("inst:robot_create"), {"kind": "wecom", "name": "x", "webhook_url": "https://evil.example/x",
                                                      "events": ["offer.created"]})
    assert resp.status_code == 200 and "群机器人" in resp.content.decode()
    other = services.robot_save(actor=cast.b_admin, organization=cast.inst_b, kind="wecom", name="乙机构群",
                                webhook_url=WECOM + "b", events=["offer.created"])
    assert client.get(reverse("inst:robot_edit", args=[other.pk])).status_code == 404
    assert client.post(reverse("inst:robot_delete", args=[other.pk])).status_code == 404
    assert Robot.objects.filter(pk=other.pk).exists()
    assert "乙机构群" not in client.get(reverse("inst:robot_list")).content.decode()
    # a read-only operator may not connect robots
    login(cast.a_viewer, "inst")
    assert client.get(reverse("inst:robot_list")).status_code == 403


def test_platform_connects_a_team_robot(cast, login, client):
    login(cast.admin, "platform")
    resp = client.post(reverse("platform:robot_create"), {
        "organization": cast.team.pk, "kind": "wecom", "name": "客户一组群", "webhook_url": WECOM + "team1",
        "events": ["choice.expiring"], "is_active": "on"})
    assert resp.status_code == 302, resp.content.decode()[:3000]
    robot = Robot.objects.get(name="客户一组群")
    assert robot.organization == cast.team
    assert services.robots_for(org_paths={cast.cm.organization.path}, event="choice.expiring") == [robot]
    # an institution's robot is not the platform's to edit
    inst_robot = services.robot_save(actor=cast.a_admin, organization=cast.inst_a, kind="wecom", name="甲",
                                     webhook_url=WECOM + "a", events=["offer.created"])
    assert client.get(reverse("platform:robot_edit", args=[inst_robot.pk])).status_code == 404


def test_delivery_log_filters_pages_and_keeps_its_query_count(cast, login, client, django_assert_max_num_queries):
    login(cast.admin, "platform")

    def add(n, **kw):
        Delivery.objects.bulk_create([Delivery(event="offer.created", channel="email", user=cast.a_admin,
                                               recipient="a.***@x.cn", subject=f"派单 {i}", status="sent", **kw)
                                      for i in range(n)])

    add(3)
    url = reverse("platform:delivery_list")
    client.get(url)
    with django_assert_max_num_queries(30) as few:
        page = client.get(url).content.decode()
    add(40, response="OK")
    Delivery.objects.create(event="offer.expiring", channel="sms", user=cast.a_admin, recipient="139****0000",
                            subject="短信一条", status="logged", response="未配置短信通道，仅记录")
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(url).content.decode()
    assert "共 44 条" in page and "a.***@x.cn" in page
    page = client.get(url + "?channel=sms&status=logged").content.decode()
    assert "共 1 条" in page and "未配置短信通道，仅记录" in page
    login(cast.cm, "ops")
    assert client.get(url).status_code in (302, 403)


def test_demo_mailbox_shows_received_mails(cast, login, client, settings, tmp_path):
    settings.DEMO_MAILBOX_DIR = tmp_path / "box"
    from email.message import EmailMessage

    box = mailbox.Maildir(str(settings.DEMO_MAILBOX_DIR), create=True)
    msg = EmailMessage()
    msg["Subject"], msg["From"], msg["To"] = "【数银在线】新的派单待受理", "数银在线 <noreply@shuyin.local>", "t_a_admin@demo.shuyin.local"
    msg["Date"] = "Fri, 04 Dec 2026 10:00:00 -0000"  # what Django's mail framework writes
    msg.set_content("请于 24 小时内受理。")
    key = box.add(msg)
    login(cast.admin, "platform")
    page = client.get(reverse("platform:demo_mailbox")).content.decode()
    assert "【数银在线】新的派单待受理" in page and "2026-12-04 18:00" in page
    detail = client.get(reverse("platform:demo_mail", args=[key])).content.decode()
    assert "请于 24 小时内受理。" in detail
    assert client.get(reverse("platform:demo_mail", args=["nope"])).status_code == 404
    settings.DEMO_MAILBOX = False
    assert client.get(reverse("platform:demo_mailbox")).status_code == 404
