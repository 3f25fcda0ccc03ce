from apps.accounts.access import MenuItem
from apps.accounts.models import Area

MENUS = [
    MenuItem("inst.cases", Area.INST, "业务管理", icon="briefcase", order=25),
    MenuItem("inst.cases.list", Area.INST, "案件办理", "inst:case_list", "cases.view_case", parent="inst.cases",
             order=1),
]

ROLE_GRANTS = {
    "inst_admin": ["cases.view_case", "cases.allocate_case", "cases.handle_case"],
    "inst_officer": ["cases.view_case", "cases.handle_case"],
    "inst_viewer": ["cases.view_case"],
}
