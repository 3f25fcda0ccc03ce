from apps.accounts.access import MenuItem
from apps.accounts.models import Area

MENUS = [
    MenuItem("inst.finance", Area.INST, "财务管理", icon="wallet2", order=30),
    MenuItem("inst.finance.home", Area.INST, "账户总览", "inst:finance_home", "positions.view_account",
             parent="inst.finance", order=1),
    MenuItem("inst.finance.recharge", Area.INST, "在线充值", "inst:recharge_new", "positions.recharge_funds",
             parent="inst.finance", order=2),
    MenuItem("inst.finance.recharges", Area.INST, "充值记录", "inst:recharge_list", "positions.view_recharge",
             parent="inst.finance", order=3),
    MenuItem("inst.finance.transfer", Area.INST, "账户划转", "inst:finance_transfer", "positions.transfer_funds",
             parent="inst.finance", order=4),
    MenuItem("inst.finance.journal", Area.INST, "划转流水", "inst:finance_journal", "positions.view_journalline",
             parent="inst.finance", order=5),
    MenuItem("ops.finance", Area.OPS, "财务管理", icon="cash-coin", order=60),
    MenuItem("ops.finance.overview", Area.OPS, "机构资金总览", "ops:finance_overview", "positions.view_finance_all",
             parent="ops.finance", order=1),
    MenuItem("ops.finance.recharges", Area.OPS, "充值确认", "ops:recharge_queue", "positions.confirm_recharge",
             parent="ops.finance", order=2),
    MenuItem("ops.finance.journal", Area.OPS, "资金流水查询", "ops:finance_journal", "positions.view_finance_all",
             parent="ops.finance", order=3),
    MenuItem("ops.finance.approvals", Area.OPS, "调账与审批", "ops:approvals", "positions.make_adjustment",
             parent="ops.finance", order=4),
]

_INST_READ = ["positions.view_account", "positions.view_recharge", "positions.view_journalline"]
_FINANCE_DESK = ["positions.view_finance_all", "positions.view_account", "positions.view_recharge",
                 "positions.view_journalline", "positions.confirm_recharge", "positions.make_adjustment",
                 "positions.check_adjustment", "positions.approve_withdrawal"]

ROLE_GRANTS = {
    "inst_admin": _INST_READ + ["positions.recharge_funds", "positions.transfer_funds"],
    "inst_viewer": _INST_READ,
    "settlement_clerk": _FINANCE_DESK,
    "business_dept": _FINANCE_DESK,
}
