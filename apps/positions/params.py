from decimal import Decimal

from apps.common.params import Param

PARAMS = [
    Param("positions.low_position_threshold", "保证金头寸不足提醒阈值", "decimal", Decimal("5000.00"),
          group="资金参数", description="机构可用头寸低于该金额时，机构后台顶部显示提醒", minimum=Decimal("0"),
          unit="元"),
    Param("positions.online_order_minutes", "在线充值订单有效期", "int", 30, group="资金参数",
          description="在线支付订单创建后多少分钟内未支付即过期", minimum=5, maximum=1440, unit="分钟"),
    Param("positions.online_order_max", "单笔在线充值上限", "decimal", Decimal("1000000.00"), group="资金参数",
          description="一笔在线支付充值订单的最高金额", minimum=Decimal("0.01"), unit="元"),
    Param("positions.online_daily_max", "每机构每日在线充值上限", "decimal", Decimal("5000000.00"), group="资金参数",
          description="同一机构当天（北京时间）在线充值订单合计的最高金额（待支付、已入账和过期后支付的订单都计入）",
          minimum=Decimal("0.01"), unit="元"),
    Param("positions.online_query_after_minutes", "支付结果主动查询等待", "int", 5, group="资金参数",
          description="在线充值订单创建后超过该时长仍未收到支付通知，定时任务向支付渠道查询交易结果", minimum=1,
          maximum=1440, unit="分钟"),
]
