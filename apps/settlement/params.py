from apps.common.params import Param

G = "结算参数"

PARAMS = [
    Param("settlement.due_days", "结佣付款期限", "int", 7, group=G, minimum=1, maximum=90, unit="天",
          description="出账后多少天内机构应付清佣金与服务费"),
    Param("settlement.escalate_days", "逾期升级天数", "int", 7, group=G, minimum=1, maximum=90, unit="天",
          description="逾期超过该天数再提醒跟单员的上级并通知业务部"),
    Param("settlement.rating_days", "互评期限", "int", 7, group=G, minimum=1, maximum=60, unit="天",
          description="恢复头寸后双方在该期限内互相评价，期满未评的视为不评价，案件完成"),
]
