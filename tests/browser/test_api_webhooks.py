"""An institution connects its own system: its administrator creates an API key and a webhook endpoint in the back
office (browser), a new offer reaches the institution's receiver by a signed webhook from a real Celery worker
(the first attempt fails and is retried) and its staff by email (a real SMTP server, sent by the same worker), the receiver accepts the offer through the API with the event id as its
Idempotency-Key, and the back office shows the offer accepted and the delivery log; a replay from the page sends
the same event again and the API replays its first answer."""
import json

import pytest
import requests

from conftest import browser_login, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_offer_by_webhook_accepted_through_the_api(page, shot, cast, partners, ready_app, celery_stack, settings):
    from apps.dispatch.models import Candidate
    from apps.positions.selectors import ledger_check
    from apps.webhooks.models import Delivery
    from apps.notifications.tests.simulators import SmtpSink
    from apps.webhooks.tests.receiver import Receiver
    from shuyin.celery import app as celery_app

    (p,) = partners(1)
    answers = []
    creds = {}

    def accept(record):
        event = json.loads(record["body"])
        if event["event"] != "offer.created":
            return
        resp = requests.post(f"{page.base}/api/v1/offers/{event['data']['offer_id']}/accept", timeout=30,
                             headers={"Authorization": f"Bearer {creds['key']}", "Idempotency-Key": event["id"]})
        answers.append((resp.status_code, resp.json(), resp.headers.get("Idempotent-Replayed")))

    p.user.email = "xindai@partner.example.cn"
    p.user.save(update_fields=["email"])
    sink = SmtpSink()
    with Receiver(fail_first=[503], on_success=accept) as rx:
        browser_login(page, p.user, "inst")
        page.click("text=API密钥")
        page.fill("#id_name", "信贷系统对接")
        for code in ("dispatch.view_case", "dispatch.answer_case"):
            page.check(f"input[value='{code}']")
        page.click("text=新建并显示密钥")
        creds["key"] = page.inner_text("[data-testid=secret]").strip()
        shot(page, "api-1-key-created")
        page.click("text=Webhook 管理")
        page.fill("#id_url", rx.url)
        page.check("input[value='offer.created']")
        page.click("button:has-text('保存')")
        rx.secret = page.inner_text("[data-testid=secret]").strip()
        shot(page, "api-2-webhook-endpoint")

        celery_stack.env.update(WEBHOOK_RETRY_BASE_SECONDS="1", NOTIFY_FANOUT="true", NOTIFY_EMAIL_ENABLED="true",
                                EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(sink.port))
        env = celery_stack(beat=False)
        settings.CELERY_WEBHOOKS_QUEUE = f"{env['CELERY_QUEUE']}.webhooks"
        settings.NOTIFY_FANOUT = True
        default_queue, celery_app.conf.task_default_queue = celery_app.conf.task_default_queue, env["CELERY_QUEUE"]
        try:
            app = ready_app()  # 贷审 passed: dispatched on commit; offer.created queued for the worker (webhook, mail)
        finally:
            celery_app.conf.task_default_queue = default_queue
        cand = Candidate.objects.get(application=app, institution=p.org)
        assert wait_for(lambda: Candidate.objects.filter(pk=cand.pk, status="accepted").exists(), timeout=90), (
            rx.requests, answers, (celery_stack.logs / "worker.log").read_text()[-2000:])
        assert [r["status"] for r in rx.requests] == [503, 200] and all(r["valid"] for r in rx.requests)
        assert answers[0][0] == 200 and answers[0][1]["status"] == "accepted" and answers[0][2] is None
        assert wait_for(lambda: any("xindai@partner.example.cn" in rcpts for rcpts, _ in sink.messages), timeout=60), (
            (celery_stack.logs / "worker.log").read_text()[-2000:])
        mail = next(m for rcpts, m in sink.messages if "xindai@partner.example.cn" in rcpts)
        assert "派单" in mail["Subject"]

        page.goto(f"{page.base}/inst/dispatch/offers/{cand.pk}/")
        assert "已受理" in page.content() and app.member.mobile in page.content()
        shot(page, "api-3-offer-accepted-by-api")
        page.goto(f"{page.base}/inst/webhooks/")
        row = page.inner_text("[data-testid=delivery]")
        assert "成功" in row and "HTTP 200" in row
        shot(page, "api-4-delivery-log")
        page.click("[data-testid=replay]")  # the same event again: the API replays its first answer
        assert wait_for(lambda: len(answers) == 2, timeout=60), rx.requests
        assert answers[1][2] == "true" and answers[1][1] == answers[0][1]
        replay = Delivery.objects.exclude(replay_of=None).get()
        assert str(replay.event_id) == json.loads(rx.requests[-1]["body"])["id"]
    sink.close()
    assert ledger_check(deep=True) == []
