from apps.accounts.access import MenuItem
from apps.accounts.models import Area

MENUS = [
    MenuItem("inst.cases.settlements", Area.INST, "结算管理", "inst:settlement_list", "settlement.view_settlement",
             parent="inst.cases", order=5),
    MenuItem("ops.settlement", Area.OPS, "结算管理", icon="receipt", order=40),
    MenuItem("ops.settlement.list", Area.OPS, "结算单", "ops:settlement_list", "settlement.view_settlement",
             parent="ops.settlement", order=1),
    MenuItem("ops.settlement.followups", Area.OPS, "跟单员联系", "ops:follow_up_list", "settlement.confirm_amount",
             parent="ops.settlement", order=2),
]

_VIEW = ["settlement.view_settlement"]
ROLE_GRANTS = {
    "inst_admin": _VIEW + ["settlement.pay_settlement", "settlement.rate_platform"],
    "inst_officer": _VIEW,
    "inst_viewer": _VIEW,
    "of": _VIEW + ["settlement.confirm_amount", "settlement.rate_institution", "settlement.view_all_settlements"],
    "cm": _VIEW + ["settlement.confirm_client", "settlement.rate_institution"],
    "lr": _VIEW + ["settlement.view_all_settlements"],
    "lr_supervisor": _VIEW + ["settlement.view_all_settlements"],
    "settlement_clerk": _VIEW + ["settlement.confirm_receipt", "settlement.view_all_settlements"],
}
