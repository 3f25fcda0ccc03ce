from decimal import Decimal

from apps.common.params import Param


def _levels_display(value) -> str:
    """区县 → 地市 → 全省 → 全国 (a custom level by its clusters' names)."""
    from .selectors import level_name

    return " → ".join(level_name(code.strip()) for code in str(value).split(",") if code.strip())


G = "派发参数"
W = "派发评分权重"
H = "体检参数"

PARAMS = [
    Param("dispatch.round_size", "每轮派发机构数", "int", 3, group=G, minimum=1, maximum=10, unit="家",
          description="一轮派给（目标受理家数 − 已受理家数）家机构；目标受理家数即本值"),
    Param("dispatch.max_rounds", "最多派发轮次", "int", 3, group=G, minimum=1, maximum=10, unit="轮"),
    Param("dispatch.offer_minutes", "每家机构受理时限", "int", 1440, group=G, minimum=1, maximum=10080, unit="分钟",
          description="“是否接单（24 小时内确认）”：每家机构自收到派单起在该时限内受理或拒绝（默认 24 小时）；"
                      "补全节奏不缩短该时限"),
    Param("dispatch.round_minutes", "补全间隔（轮次节奏）", "int", 480, group=G, minimum=1, maximum=4320, unit="分钟",
          description="“自动补全三家”：一轮的机构全部答复或超过该间隔即开下一轮，为未受理的名额补派机构；"
                      "已发出的派单仍按各自的受理时限等待答复"),
    Param("dispatch.window_minutes", "派发总时限", "int", 1440, group=G, minimum=1, maximum=10080, unit="分钟",
          description="“24 小时之内派三轮”：自第一轮起超过该时限不再开新一轮（默认 24 小时）；不缩短已发出的派单"),
    Param("dispatch.choice_minutes", "客户确认时限", "int", 4320, group=G, minimum=1, maximum=43200, unit="分钟",
          description="“三天内确认”：自首家机构受理起，客户在该时限内选定机构（默认 3 天）；派发仍在进行也不缩短"),
    Param("dispatch.cluster_levels", "区域扩展层级", "str", "district,city,province,national", group=G,
          description="逗号分隔，依次扩大：district 区县、city 地市、province 省、national 全国；"
                      "其他代码为“派发区域集群”中定义的集群层级", display=_levels_display),
    Param("dispatch.weight.success", "权重：贷款成功率", "decimal", Decimal("30"), group=W, minimum=Decimal("0")),
    Param("dispatch.weight.abandon", "权重：弃单率（越低越好）", "decimal", Decimal("20"), group=W, minimum=Decimal("0")),
    Param("dispatch.weight.volume", "权重：成功单数", "decimal", Decimal("15"), group=W, minimum=Decimal("0")),
    Param("dispatch.weight.rating", "权重：客户评价", "decimal", Decimal("15"), group=W, minimum=Decimal("0")),
    Param("dispatch.weight.timeliness", "权重：时效", "decimal", Decimal("10"), group=W, minimum=Decimal("0")),
    Param("dispatch.weight.position", "权重：可用头寸", "decimal", Decimal("10"), group=W, minimum=Decimal("0")),
    Param("dispatch.position_reference", "头寸评分参照金额", "decimal", Decimal("100000"), group=W,
          minimum=Decimal("1"), unit="元", description="可用头寸等于该金额时头寸得分为满分的一半"),
    Param("dispatch.health.min_position", "体检：最低可用头寸", "decimal", Decimal("0"), group=H,
          minimum=Decimal("0"), unit="元", description="可用头寸低于该金额的机构不参与派发（0 表示不检查）"),
    Param("dispatch.health.max_abandon_rate", "体检：弃单率上限", "decimal", Decimal("0.80"), group=H,
          minimum=Decimal("0"), maximum=Decimal("1"), description="弃单率高于该值（且派单数达到样本量）的机构不参与派发"),
    Param("dispatch.health.min_sample", "体检：弃单率样本量", "int", 10, group=H, minimum=1, unit="单"),
    Param("dispatch.health.penalty_days", "体检：处罚统计天数", "int", 30, group=H, minimum=1, unit="天"),
    Param("dispatch.health.max_penalties", "体检：期间内处罚次数上限", "int", 3, group=H, minimum=1, unit="次",
          description="统计天数内被处罚达到该次数的机构不参与派发"),
    Param("dispatch.health.max_overdue_settlements", "体检：逾期未结算单数上限", "int", 3, group=H, minimum=1,
          unit="单", description="逾期未结佣的案件达到该数量的机构不参与派发"),
    Param("dispatch.health.exclude", "体检不合格时排除派发", "bool", True, group=H,
          description="否：仅标记提醒，仍参与派发"),
]
