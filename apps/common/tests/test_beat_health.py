"""The scheduler's health on the platform home (issue 18 §11): each beat task's Chinese name, last run, next run and
result, recorded by the task signals of every real run."""
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.common.beat_health import beat_status
from apps.common.models import Heartbeat
from shuyin.schedules import BEAT_LABELS, BEAT_SCHEDULE


def test_every_beat_task_has_a_chinese_name():
    assert set(BEAT_LABELS) == set(BEAT_SCHEDULE)


@pytest.mark.django_db
def test_a_run_is_recorded_with_its_result_and_next_run():
    from apps.reports.tasks import expire_exports_task

    assert not Heartbeat.objects.filter(name="reports.expire_exports").exists()
    before = timezone.now()
    expire_exports_task.apply()
    expire_exports_task.apply()
    hb = Heartbeat.objects.get(name="reports.expire_exports")
    assert hb.count == 2 and hb.last_ok is True and hb.last_error == "" and hb.last_duration_ms is not None
    row = next(r for r in beat_status() if r["name"] == "reports.expire_exports")
    assert row["label"] == "过期导出文件清理" and row["last"] >= before
    assert row["next"] == hb.last_seen_at + timedelta(seconds=BEAT_SCHEDULE["reports.expire_exports"]["schedule"])
    assert row["ok"] and not row["overdue"]
    # the heartbeat task is a beat task too: its run is recorded under its schedule name
    from apps.common.tasks import heartbeat

    heartbeat.apply(kwargs={"name": "manual"})
    assert Heartbeat.objects.filter(name="common.heartbeat", last_ok=True).exists()


@pytest.mark.django_db(transaction=True)
def test_a_failed_run_is_recorded_as_failed_with_its_error():
    from apps.common.tasks import heartbeat

    heartbeat.apply(kwargs={"name": "x" * 150})  # longer than the column: PostgreSQL refuses the row
    hb = Heartbeat.objects.get(name="common.heartbeat")
    assert hb.last_ok is False and "DataError" in hb.last_error
    row = next(r for r in beat_status() if r["name"] == "common.heartbeat")
    assert row["ok"] is False and row["label"].startswith("心跳")


@pytest.mark.django_db
def test_overdue_when_the_next_run_is_long_past_and_crontab_next_run():
    Heartbeat.objects.create(name="dispatch.sweep", last_seen_at=timezone.now() - timedelta(hours=1), count=5,
                             last_ok=True)
    rows = {r["name"]: r for r in beat_status()}
    assert rows["dispatch.sweep"]["overdue"]
    assert rows["settlement.sweep"]["last"] is None and rows["settlement.sweep"]["next"] is None
    assert not rows["settlement.sweep"]["overdue"]
    nightly = rows["positions.ledger_check"]
    assert nightly["next"] is not None and timezone.now() < nightly["next"] <= timezone.now() + timedelta(days=1)


@pytest.mark.django_db
def test_the_platform_home_shows_the_tasks_in_chinese(client, cast, login):
    from apps.reports.tasks import rankings_task

    rankings_task.apply()
    login(cast.admin)
    html = client.get("/platform/").content.decode()
    assert "定时任务运行情况" in html and "Celery beat" not in html
    assert "区域排名计算" in html and "成功" in html and "尚未运行" in html and "账务核对（每日）" in html
    client.post("/platform/logout/")
    login(cast.a_admin)
    assert "定时任务运行情况" not in client.get("/inst/").content.decode()
