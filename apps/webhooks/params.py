from apps.common.params import Param

PARAMS = [
    Param("webhooks.expiring_minutes", "派单即将超时推送提前量", "int", 120, group="Webhook 推送", minimum=5,
          maximum=1440, unit="分钟",
          description="派单受理截止前多少分钟向订阅了“派单即将超时”的机构端点推送一次"),
]
