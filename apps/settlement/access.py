from apps.accounts.access import MenuItem
from apps.accounts.models import Area

MENUS = [
    MenuItem("inst.cases.settlements", Area.INST, "结算管理", "inst:settlement_list", "settlement.view_settlement",
             parent="inst.cases", order=5),
    MenuItem("ops.settlement", Area.OPS, "结算管理", icon="receipt", order=40),
    MenuItem("ops.settlement.list", Area.OPS, "结算单", "ops:settlement_list", "settlement.view_settlement",
             parent="ops.settlement", order=1),
    MenuItem("ops.settlement.followups", Area.OPS, "跟单员联系", "ops:follow_up_list", "settlement.follow_up",
             parent="ops.settlement", order=2),
    MenuItem("platform.org.agreements", Area.PLATFORM, "佣金协议", "platform:agreement_list",
             "settlement.view_agreement", parent="platform.org", order=6),
]

_VIEW = ["settlement.view_settlement"]
_ALL = _VIEW + ["settlement.view_all_settlements"]
ROLE_GRANTS = {
    "inst_admin": _VIEW + ["settlement.pay_settlement", "settlement.rate_platform"],
    "inst_officer": _VIEW,
    "inst_viewer": _VIEW,
    # 跟单经理: the institutions' account manager; the second person on a commission adjustment
    "of": _ALL + ["settlement.approve_commission", "settlement.rate_institution"],
    # 跟单员: confirms the disbursed amount and the commission, contacts institutions that have not paid, confirms
    # the settlement so the hold is released
    "of_clerk": _ALL + ["settlement.confirm_amount", "settlement.confirm_commission", "settlement.follow_up",
                        "settlement.release_hold", "settlement.rate_institution"],
    "cm": _VIEW + ["settlement.confirm_client", "settlement.rate_institution"],
    "lr": _ALL,
    "lr_supervisor": _ALL,
    "settlement_clerk": _ALL + ["settlement.confirm_receipt"],
    "sysadmin": ["settlement.view_agreement", "settlement.add_agreement", "settlement.change_agreement"],
}
