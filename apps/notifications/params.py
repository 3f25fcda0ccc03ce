from apps.common.params import Param

G = "通知与提醒"

PARAMS = [
    Param("notifications.offer_remind_hours", "派单超时前提醒", "int", 4, group=G, minimum=1, maximum=168, unit="小时",
          description="派单在受理截止前该时长仍未答复时，提醒机构的受理人员和该机构的跟单经理（每笔派单一次）"),
    Param("notifications.choice_remind_hours", "客户选择到期前提醒", "int", 24, group=G, minimum=1, maximum=240,
          unit="小时", description="客户选择机构的期限将到时提醒客户经理（每次派发一次）"),
    Param("notifications.settlement_remind_days", "结算单到期前提醒", "int", 1, group=G, minimum=0, maximum=30,
          unit="天", description="结算单付款期限前该天数提醒机构付款人员（到期后的逾期提醒见结算参数）"),
    Param("notifications.complaint_remind_hours", "投诉环节超时前提醒", "int", 4, group=G, minimum=1, maximum=168,
          unit="小时", description="投诉当前环节将超过期限时提醒处理人（每个环节一次）"),
    Param("notifications.rate.email_per_hour", "每人每小时邮件上限", "int", 30, group=G, minimum=1, unit="封",
          description="超过上限的邮件不再发送（站内信照常送达），记入发送记录"),
    Param("notifications.rate.sms_per_hour", "每个手机号每小时短信上限", "int", 10, group=G, minimum=1, unit="条"),
    Param("notifications.rate.robot_per_minute", "每个群机器人每分钟消息上限", "int", 20, group=G, minimum=1,
          unit="条", description="钉钉、企业微信群机器人均限制每分钟 20 条"),
]
