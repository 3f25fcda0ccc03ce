"""The whole path on a real Celery worker: a 站内信 committed in this process, the fan-out and the deliveries run
by the worker (its own process, through Redis), the mail received by a real SMTP server, a group robot that
fails first and is retried with a real backoff."""
import pytest

from apps.messaging.services import message_send
from apps.notifications import services
from apps.notifications.models import Delivery
from conftest import wait_for

from .simulators import RobotReceiver, SmtpSink

pytestmark = [pytest.mark.celery]


def test_message_reaches_mail_and_group_robot_through_the_worker(celery_stack, cast, settings):
    from shuyin.celery import app

    sink, robot_http = SmtpSink(), RobotReceiver(dingtalk_secret="SECworker", fail_first=1)
    try:
        env = celery_stack.env
        env.update(NOTIFY_FANOUT="true", NOTIFY_EMAIL_ENABLED="true", EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(sink.port),
                   NOTIFY_RETRY_BASE_SECONDS="1")
        celery_stack(beat=False)
        cast.a_admin.email = "a.admin@jia.example.cn"
        cast.a_admin.save(update_fields=["email"])
        services.robot_save(actor=cast.a_admin, organization=cast.inst_a, kind="dingtalk", name="甲机构业务群",
                            webhook_url=f"{robot_http.url}/robot/send?access_token=w", secret="SECworker",
                            events=["offer.created"])
        settings.NOTIFY_FANOUT = True
        old = app.conf.task_default_queue
        app.conf.task_default_queue = env["CELERY_QUEUE"]
        try:
            message_send(recipients=[cast.a_admin], title="新的派单待受理：经营贷 80,000.00 元", event="offer.created",
                         link="/inst/dispatch/offers/")  # autocommit: on_commit runs at once
        finally:
            app.conf.task_default_queue = old
        done = wait_for(lambda: Delivery.objects.filter(status="sent").count() == 2, timeout=90)
        logs = "".join(p.read_text() for p in celery_stack.logs.glob("*.log"))
        assert done, (list(Delivery.objects.values_list("channel", "status", "attempts", "response")), logs[-3000:])
        (rcpts, mail), = sink.messages
        assert rcpts == ["a.admin@jia.example.cn"] and "经营贷 80,000.00 元" in mail["Subject"]
        robot = Delivery.objects.get(channel="dingtalk")
        assert robot.attempts == 2 and len(robot_http.requests) == 2
        assert all(r["signature_ok"] for r in robot_http.requests)
    finally:
        sink.close()
        robot_http.close()
