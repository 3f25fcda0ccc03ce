from decimal import Decimal

from apps.common.params import Param

PARAMS = [
    Param("positions.low_position_threshold", "保证金头寸不足提醒阈值", "decimal", Decimal("5000.00"),
          group="资金参数", description="机构可用头寸低于该金额时，机构后台顶部显示提醒", minimum=Decimal("0"),
          unit="元"),
    Param("positions.online_order_minutes", "在线充值订单有效期", "int", 30, group="资金参数",
          description="在线支付订单创建后多少分钟内未支付即过期", minimum=5, maximum=1440, unit="分钟"),
]
