"""In a real browser: an institution administrator connects a 钉钉 group robot from the menu and sends a test
message, which a local receiver gets signed; a person chooses SMS for a kind of event; the platform reads the
delivery log. Screenshots of each new page at 1366×768."""
import pytest

from apps.notifications.models import Delivery, Preference
from conftest import browser_login, said, switch, wait_for

from .simulators import RobotReceiver

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_robot_settings_and_delivery_log_in_the_browser(page, shot, cast, settings):
    from shuyin.celery import app

    settings.NOTIFY_FANOUT = True
    old = app.conf.task_always_eager
    app.conf.task_always_eager = True  # the test message is sent by the task, in this process
    ding = RobotReceiver(dingtalk_secret="SECbrowser")
    try:
        browser_login(page, cast.a_admin, "inst")
        page.click(".sidebar >> text=群机器人")
        page.click("text=新增")
        page.select_option("#id_kind", "dingtalk")
        page.fill("#id_name", "甲机构派单群")
        page.fill("#id_webhook_url", f"{ding.url}/robot/send?access_token=browser-token")
        page.fill("#id_secret", "SECbrowser")
        page.check("input[name=events][value='offer.created']")
        page.check("input[name=events][value='offer.expiring']")
        shot(page, "notify-robot-form")
        page.click("button:has-text('保存')")
        said(page, "群机器人已保存")
        page.click("button:has-text('发送测试消息')")
        said(page, "测试消息已排队发送")
        assert wait_for(lambda: len(ding.requests) == 1, timeout=20)
        assert ding.requests[0]["signature_ok"] is True
        shot(page, "notify-robot-list")

        page.click(".sidebar >> text=通知设置")
        page.check("input[value='offer.expiring:sms']")
        page.click("button:has-text('保存')")
        said(page, "通知设置已保存")
        shot(page, "notify-settings")
        assert Preference.objects.get(user=cast.a_admin, event="offer.expiring", channel="sms").enabled

        switch(page, cast.admin, "platform")
        page.click(".sidebar >> text=通知发送记录")
        said(page, "甲机构派单群")
        said(page, "已发送")
        shot(page, "notify-delivery-log")
        page.click(".sidebar >> text=通知默认设置")
        shot(page, "notify-defaults")
        assert Delivery.objects.get().status == "sent"
    finally:
        app.conf.task_always_eager = old
        ding.close()
