"""All periodic (Celery beat) schedules in one place.

Each entry names a task that calls a service; the services are idempotent
(compare-and-set), so a schedule that fires twice or late does the right thing once.
Intervals can be shortened for tests with SHUYIN_BEAT_SCALE (seconds multiplier).
"""
import os

from celery.schedules import crontab

_SCALE = float(os.environ.get("SHUYIN_BEAT_SCALE", "1"))


def every(seconds: float) -> float:
    return max(seconds * _SCALE, 0.5)


BEAT_SCHEDULE = {
    "common.heartbeat": {"task": "common.heartbeat", "schedule": every(60)},
    "applications.tally_compact": {"task": "applications.tally_compact", "schedule": every(60)},
    "positions.expire_recharges": {"task": "positions.expire_recharges", "schedule": every(60)},
    "positions.reconcile_recharges": {"task": "positions.reconcile_recharges", "schedule": every(120)},
    "dispatch.sweep": {"task": "dispatch.sweep", "schedule": every(60)},
    "dispatch.health": {"task": "dispatch.health", "schedule": every(300)},
    "settlement.sweep": {"task": "settlement.sweep", "schedule": every(600)},
    "complaints.sweep": {"task": "complaints.sweep", "schedule": every(600)},
    "notifications.reminders": {"task": "notifications.reminders", "schedule": every(300)},
    "reports.expire_exports": {"task": "reports.expire_exports", "schedule": every(3600)},
    "reports.rankings": {"task": "reports.rankings", "schedule": every(3600)},
    "positions.ledger_check": {"task": "positions.ledger_check", "schedule": crontab(hour=2, minute=30)},
    "webhooks.sweep": {"task": "webhooks.sweep", "schedule": every(60)},
}

# What each beat task is called on the platform home (定时任务运行情况).
BEAT_LABELS = {
    "common.heartbeat": "心跳（确认调度与执行进程在运行）",
    "applications.tally_compact": "申请状态计数汇总",
    "positions.expire_recharges": "在线充值超时关闭",
    "positions.reconcile_recharges": "在线充值对账（向支付渠道查询）",
    "dispatch.sweep": "派发计时处理（轮次、客户选择、待派发）",
    "dispatch.health": "机构体检与派发评分",
    "settlement.sweep": "结算逾期提醒与升级",
    "complaints.sweep": "投诉逾期提醒与升级",
    "notifications.reminders": "到期前提醒（派单、客户选择、结算单、投诉环节）",
    "reports.expire_exports": "过期导出文件清理",
    "reports.rankings": "区域排名计算",
    "positions.ledger_check": "账务核对（每日）",
    "webhooks.sweep": "Webhook 补发与派单即将超时推送",
}
