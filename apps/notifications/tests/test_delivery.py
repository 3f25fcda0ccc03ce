"""The channels end to end with real parts: mail received by an SMTP server, SMS signed the way Alibaba Cloud
checks it, group robots with 钉钉's signature, retries against a receiver that fails first, rate limits."""
import pytest

from apps.messaging.models import Message
from apps.messaging.services import message_send
from apps.notifications import channels, services
from apps.notifications.models import Delivery, Preference, Robot, RoleDefault
from apps.notifications.tasks import deliver_task

pytestmark = pytest.mark.django_db
D = Delivery.Status


def send(recipients, title, *, event="", capture, **kw):
    with capture(execute=True):
        message_send(recipients=recipients, title=title, event=event, link="/inst/dispatch/offers/", **kw)


def test_email_goes_through_a_real_smtp_server(cast, eager, smtp, django_capture_on_commit_callbacks):
    cast.a_admin.email = "a.admin@jia.example.cn"
    cast.a_admin.save(update_fields=["email"])
    send([cast.a_admin, cast.a_viewer], "新的派单待受理：经营贷 100,000.00 元", event="offer.created",
         body="请于 24 小时内受理。", capture=django_capture_on_commit_callbacks)
    # the 站内信 stays the record; the mail went to the one person with an address
    assert Message.objects.filter(title__startswith="新的派单").count() == 2
    (rcpts, mail), = smtp.messages
    assert rcpts == ["a.admin@jia.example.cn"]
    assert mail["Subject"].strip() == "【数银在线】新的派单待受理：经营贷 100,000.00 元"
    body = mail.get_body(preferencelist=("plain",)).get_content()
    assert "请于 24 小时内受理。" in body and "http://127.0.0.1:8000/inst/dispatch/offers/" in body
    d = Delivery.objects.get(channel="email")
    assert (d.status, d.user_id, d.recipient, d.attempts) == (D.SENT, cast.a_admin.pk, "a.***@jia.example.cn", 1)
    assert "已接收" in d.response


def test_a_refused_mailbox_fails_at_once_and_an_unreachable_server_is_retried(cast, eager, smtp, settings,
                                                                             django_capture_on_commit_callbacks):
    cast.a_admin.email = "gone@jia.example.cn"
    cast.a_admin.save(update_fields=["email"])
    smtp.refuse.add("gone@jia.example.cn")
    send([cast.a_admin], "派单 A", event="offer.created", capture=django_capture_on_commit_callbacks)
    d = Delivery.objects.get()
    assert d.status == D.FAILED and d.attempts == 1 and "550" in d.response
    # nobody listening: every attempt fails, retried up to NOTIFY_MAX_RETRIES, then given up
    settings.EMAIL_PORT, settings.NOTIFY_MAX_RETRIES = __import__("conftest").free_port(), 2
    smtp.refuse.clear()
    send([cast.a_admin], "派单 B", event="offer.created", capture=django_capture_on_commit_callbacks)
    d = Delivery.objects.get(subject="派单 B")
    assert d.status == D.FAILED and d.attempts == 3 and "多次重试仍失败" in d.response


def test_sms_is_signed_the_way_alibaba_cloud_checks_it(cast, eager, sms, django_capture_on_commit_callbacks):
    cast.a_admin.mobile = "13912345678"
    cast.a_admin.save(update_fields=["mobile"])
    send([cast.a_admin], "派单即将超时：剩余 3 小时 59 分", event="offer.expiring",
         capture=django_capture_on_commit_callbacks)
    req, = sms.requests
    assert req["verified"], req
    assert req["query"]["PhoneNumbers"] == "13912345678" and req["query"]["TemplateCode"] == "SMS_480001"
    assert req["query"]["SignName"] == "数银在线"
    assert '"content":"派单即将超时：剩余 3 小时 59 分"' in req["query"]["TemplateParam"]
    d = Delivery.objects.get(channel="sms")
    assert d.status == D.SENT and d.recipient == "139****5678" and "BizId=" in d.response
    # a wrong secret is refused by the simulator's signature check: a permanent failure, not retried
    from django.conf import settings

    settings.SMS_ALIYUN_ACCESS_KEY_SECRET = "wrong-secret"
    send([cast.a_admin], "派单即将超时：第二笔", event="offer.expiring", capture=django_capture_on_commit_callbacks)
    d = Delivery.objects.get(subject="派单即将超时：第二笔", channel="sms")
    assert d.status == D.FAILED and "SignatureDoesNotMatch" in d.response and d.attempts == 1
    assert sms.requests[-1]["verified"] is False


def test_sms_without_a_provider_is_only_logged_with_its_text(cast, eager, settings,
                                                             django_capture_on_commit_callbacks):
    cast.a_admin.mobile, cast.a_admin.email = "13912345678", "a@jia.example.cn"
    cast.a_admin.save(update_fields=["mobile", "email"])
    send([cast.a_admin], "派单即将超时：剩余 1 小时", event="offer.expiring", capture=django_capture_on_commit_callbacks)
    d = Delivery.objects.get(channel="sms")
    assert d.status == D.LOGGED
    assert d.response == "未配置短信通道，仅记录。短信内容：【数银在线】派单即将超时：剩余 1 小时"
    assert Delivery.objects.get(channel="email").response == "未配置邮件通道，仅记录"


def test_dingtalk_signed_robot_and_wecom_robot_get_offers_of_their_institution(
        cast, eager, receiver, django_capture_on_commit_callbacks):
    secret = "SEC0123456789abcdef"
    ding = receiver(dingtalk_secret=secret)
    wecom = receiver()
    services.robot_save(actor=cast.a_admin, organization=cast.inst_a, kind="dingtalk", name="甲机构业务群",
                        webhook_url=f"{ding.url}/robot/send?access_token=tok-a", secret=secret,
                        events=["offer.created", "offer.expiring"])
    services.robot_save(actor=cast.a_admin, organization=cast.inst_a, kind="wecom", name="甲机构企业微信群",
                        webhook_url=f"{wecom.url}/cgi-bin/webhook/send?key=k-a", events=["offer.created"])
    services.robot_save(actor=cast.b_admin, organization=cast.inst_b, kind="wecom", name="乙机构群",
                        webhook_url=f"{wecom.url}/cgi-bin/webhook/send?key=k-b", events=["offer.created"])
    # a message to A's sub-branch user reaches A's groups (once each, whatever the number of recipients), not B's
    send([cast.a_sub_user, cast.a_viewer], "新的派单待受理：信用贷 5,000.00 元", event="offer.created",
         capture=django_capture_on_commit_callbacks)
    assert len(ding.requests) == 1 and ding.requests[0]["signature_ok"] is True
    assert ding.requests[0]["json"]["markdown"]["title"] == "新的派单待受理：信用贷 5,000.00 元"
    assert [r["query"]["key"] for r in wecom.requests] == ["k-a"]
    assert "新的派单待受理" in wecom.requests[0]["json"]["markdown"]["content"]
    robots = Delivery.objects.filter(robot__isnull=False)
    assert sorted(robots.values_list("status", flat=True)) == [D.SENT, D.SENT]
    assert robots.get(channel="dingtalk").recipient.endswith("access_token=tok-****")
    # a kind the robot does not push, and a workflow message, stay off the groups
    send([cast.a_viewer], "派单已撤回", event="offer.withdrawn", capture=django_capture_on_commit_callbacks)
    assert len(ding.requests) == 1 and len(wecom.requests) == 1


def test_a_wrong_dingtalk_secret_is_refused_by_the_receiver(cast, eager, receiver, django_capture_on_commit_callbacks):
    ding = receiver(dingtalk_secret="SECright")
    robot = services.robot_save(actor=cast.a_admin, organization=cast.inst_a, kind="dingtalk", name="群",
                                webhook_url=f"{ding.url}/robot/send?access_token=t", secret="SECwrong",
                                events=["offer.created"])
    with django_capture_on_commit_callbacks(execute=True):
        services.robot_test(robot=robot, actor=cast.a_admin)
    d = Delivery.objects.get()
    assert ding.requests[0]["signature_ok"] is False and d.status == D.FAILED and "310000" in d.response


@pytest.mark.parametrize("throttle", [0, 130101])
def test_retries_until_the_receiver_answers(cast, eager, receiver, throttle, django_capture_on_commit_callbacks):
    ding = receiver(dingtalk_secret="SECs", fail_first=2, throttle_code=throttle)
    robot = services.robot_save(actor=cast.a_admin, organization=cast.inst_a, kind="dingtalk", name="群",
                                webhook_url=f"{ding.url}/robot/send?access_token=t", secret="SECs",
                                events=["offer.created"])
    with django_capture_on_commit_callbacks(execute=True):
        services.robot_test(robot=robot, actor=cast.a_admin)
    d = Delivery.objects.get()
    assert len(ding.requests) == 3 and all(r["signature_ok"] for r in ding.requests)
    assert (d.status, d.attempts) == (D.SENT, 3)
    # the task runs again (a duplicate from the broker): nothing is sent twice
    deliver_task.apply(args=[d.pk])
    assert len(ding.requests) == 3


def test_backoff_doubles():
    from django.conf import settings

    base = settings.NOTIFY_RETRY_BASE_SECONDS
    waits = [services.backoff_seconds(n) for n in range(4)]
    for n, wait in enumerate(waits):
        assert base * 2 ** n <= wait <= base * 2 ** n + base // 2


def test_preferences_then_role_defaults_then_the_kinds_own(cast, eager, django_capture_on_commit_callbacks):
    for u in (cast.a_admin, cast.a_viewer, cast.b_admin):
        u.email, u.mobile = f"{u.username}@x.example.cn", "13900000001"
        u.save(update_fields=["email", "mobile"])
    # offer.created defaults to email only; inst_viewer's administrator default adds SMS; a_admin turned email off
    RoleDefault.objects.create(role_code="inst_viewer", event="offer.created", channel="sms", enabled=True)
    Preference.objects.create(user=cast.a_admin, event="offer.created", channel="email", enabled=False)
    got = services.choices_for(user_ids=[cast.a_admin.pk, cast.a_viewer.pk, cast.b_admin.pk], event="offer.created")
    assert got == {cast.a_admin.pk: set(), cast.a_viewer.pk: {"email", "sms"}, cast.b_admin.pk: {"email"}}
    send([cast.a_admin, cast.a_viewer, cast.b_admin], "新派单", event="offer.created",
         capture=django_capture_on_commit_callbacks)
    assert sorted(Delivery.objects.values_list("user__username", "channel")) == [
        ("t_a_viewer", "email"), ("t_a_viewer", "sms"), ("t_b_admin", "email")]
    # an unnamed message gets its kind from category and link
    send([cast.b_admin], "结算单已出", capture=django_capture_on_commit_callbacks)
    assert not Delivery.objects.filter(subject="结算单已出").exists()  # offer.changed: no channel by default
    assert services.fanout(message_ids=list(Message.objects.filter(title="结算单已出").values_list("pk", flat=True)))\
        == []


def test_rate_limit_per_recipient(cast, eager, smtp, django_capture_on_commit_callbacks):
    from apps.common.params import param_set

    param_set(key="notifications.rate.email_per_hour", raw="2", user=cast.admin)
    cast.a_admin.email = "busy@jia.example.cn"
    cast.a_admin.save(update_fields=["email"])
    from django.core.cache import cache

    cache.delete_many([k for k in []])
    for i in range(3):
        send([cast.a_admin], f"派单 {i}", event="offer.created", capture=django_capture_on_commit_callbacks)
    statuses = list(Delivery.objects.order_by("pk").values_list("status", flat=True))
    assert statuses[-1] == D.LIMITED and statuses.count(D.SENT) <= 2
    assert Message.objects.filter(recipient=cast.a_admin, title__startswith="派单").count() == 3


def test_nothing_is_queued_when_the_change_rolls_back(cast, settings, django_capture_on_commit_callbacks):
    from django.db import transaction

    settings.NOTIFY_FANOUT = True
    with django_capture_on_commit_callbacks() as callbacks:
        try:
            with transaction.atomic():
                message_send(recipients=[cast.a_admin], title="回滚的消息", event="offer.created")
                raise RuntimeError
        except RuntimeError:
            pass
    assert callbacks == [] and not Message.objects.filter(title="回滚的消息").exists()


def test_robot_urls_must_be_the_providers(cast):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.robot_save(actor=cast.a_admin, organization=cast.inst_a, kind="wecom", name="x",
                            webhook_url="https://evil.example.com/hook", events=["offer.created"])
    with pytest.raises(ValidationError):
        services.robot_save(actor=cast.a_admin, organization=cast.inst_a, kind="dingtalk", name="x",
                            webhook_url="https://oapi.dingtalk.com/robot/send?access_token=t", secret="nope",
                            events=["offer.created"])
    robot = services.robot_save(actor=cast.a_admin, organization=cast.inst_a, kind="dingtalk", name="x",
                                webhook_url="https://oapi.dingtalk.com/robot/send?access_token=abcdef",
                                secret="SECabc", events=["offer.created"])
    assert Robot.objects.get().masked_url == "https://oapi.dingtalk.com/robot/send?access_token=abcd****"
    assert channels.dingtalk_sign("SECabc", "1700000000000") == channels.dingtalk_sign("SECabc", "1700000000000")
    assert robot.secret == "SECabc"
