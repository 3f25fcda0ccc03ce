from apps.accounts.access import MenuItem
from apps.accounts.models import Area

MENUS = [
    MenuItem("ops.apps", Area.OPS, "贷款申请", icon="file-earmark-text", order=20),
    MenuItem("ops.apps.mine", Area.OPS, "我的申请", "ops:queue_mine", "applications.submit_application",
             parent="ops.apps", order=1),
    MenuItem("ops.apps.team", Area.OPS, "团队申请", "ops:queue_team", "applications.view_team",
             parent="ops.apps", order=2),
    MenuItem("ops.apps.cs", Area.OPS, "客服审核", "ops:queue_cs", "applications.review_cs", parent="ops.apps",
             order=3),
    MenuItem("ops.apps.lr", Area.OPS, "贷审审核", "ops:queue_lr", "applications.review_lr", parent="ops.apps",
             order=4),
    MenuItem("ops.apps.arbitration", Area.OPS, "待仲裁", "ops:queue_arbitration", "applications.arbitrate",
             parent="ops.apps", order=5),
    MenuItem("ops.apps.sup", Area.OPS, "主管队列", "ops:queue_supervisor", "applications.supervise_review",
             parent="ops.apps", order=6),
    MenuItem("ops.apps.handover", Area.OPS, "客户移交", "ops:handover_list", "applications.decide_handover",
             parent="ops.apps", order=7),
]

_VIEW = ["applications.view_application"]
# "此状态可见角色：客户经理，跟单经理，贷审经理，结算员" (and 跟单员, who works the settlement): see visibility.py
_STEPS = ["applications.view_settlement_status"]
ROLE_GRANTS = {
    "cm": _VIEW + _STEPS + ["applications.submit_application", "applications.request_handover",
                            "applications.decide_handover"],
    "cm_leader": _VIEW + ["applications.view_team", "applications.decide_handover"],
    "cs": _VIEW + ["applications.review_cs"],
    "lr": _VIEW + _STEPS + ["applications.review_lr", "applications.arbitrate"],
    "lr_supervisor": _VIEW + _STEPS + ["applications.review_lr", "applications.arbitrate",
                                       "applications.supervise_review"],
    "of": _VIEW + _STEPS,
    "of_clerk": _VIEW + _STEPS,
    "settlement_clerk": _STEPS,
}
