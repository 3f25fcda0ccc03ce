from apps.accounts.access import MenuItem
from apps.accounts.models import Area

MENUS = [
    MenuItem("ops.members", Area.OPS, "会员管理", "ops:member_list", "members.view_member", icon="person-vcard",
             order=10),
]

_VIEW = ["members.view_member"]
ROLE_GRANTS = {
    "cm": _VIEW + ["members.add_member"],
    "cm_leader": _VIEW,
    "cs": _VIEW + ["members.verify_member", "members.view_member_pii"],
    "lr": _VIEW + ["members.view_member_pii"],
    "lr_supervisor": _VIEW + ["members.view_member_pii"],
    "of": _VIEW,
    "of_clerk": _VIEW,
}
