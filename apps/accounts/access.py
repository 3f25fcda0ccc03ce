"""Permission codes, built-in roles and menus, declared in code and synced on every ``migrate``.

Each app may have an ``access.py`` with:

* ``MENUS``: a list of :class:`MenuItem` (code, area, title, url_name, perm, parent, icon, order);
* ``ROLE_GRANTS``: ``{role_code: [permission codes]}`` added to built-in roles.

``sync_access`` creates the built-in 数银 roles, the template roles every institution gets,
and missing menu items. It never removes what an administrator granted or edited: a role's
declared codes are added, menu items are created once by ``code``.
"""
from dataclasses import dataclass, field

from .models import Area, DataScope


@dataclass(frozen=True)
class MenuItem:
    code: str
    area: str
    title: str
    url_name: str = ""
    perm: str = ""
    parent: str = ""
    icon: str = ""
    order: int = 0


@dataclass
class RoleSpec:
    code: str
    name: str
    area: str
    scope: int
    perms: list[str] = field(default_factory=list)


# 数银's own roles (organisation = None).
PLATFORM_ROLES = [
    RoleSpec("sysadmin", "系统管理员", Area.PLATFORM, DataScope.ALL, ["accounts.access_platform"]),
    RoleSpec("cm", "客户经理", Area.OPS, DataScope.SELF, ["accounts.access_ops"]),
    RoleSpec("cs", "客服", Area.OPS, DataScope.ALL, ["accounts.access_ops"]),
    RoleSpec("lr", "贷审", Area.OPS, DataScope.ALL, ["accounts.access_ops"]),
    RoleSpec("lr_supervisor", "贷审主管", Area.OPS, DataScope.ALL, ["accounts.access_ops"]),
    RoleSpec("of", "跟单经理", Area.OPS, DataScope.ALL, ["accounts.access_ops"]),  # the institutions' account manager
    RoleSpec("of_clerk", "跟单员", Area.OPS, DataScope.ALL, ["accounts.access_ops"]),  # works settlements
    RoleSpec("settlement_clerk", "结算员", Area.OPS, DataScope.ALL, ["accounts.access_ops"]),
    RoleSpec("complaint_center", "投诉处理", Area.OPS, DataScope.ALL, ["accounts.access_ops"]),
    RoleSpec("cm_leader", "客户组长", Area.OPS, DataScope.UNIT_AND_BELOW, ["accounts.access_ops"]),
    RoleSpec("business_dept", "业务部", Area.OPS, DataScope.ALL, ["accounts.access_ops"]),
]

# Every institution (root of a tree) gets a copy of these; it may add its own roles.
INSTITUTION_ROLE_TEMPLATES = [
    RoleSpec("inst_admin", "机构管理员", Area.INST, DataScope.ALL, ["accounts.access_inst"]),
    RoleSpec("inst_officer", "业务员", Area.INST, DataScope.SELF, ["accounts.access_inst"]),
    RoleSpec("inst_viewer", "只读操作员", Area.INST, DataScope.UNIT_AND_BELOW, ["accounts.access_inst"]),
]


def app_access_modules():
    from apps.common.discovery import app_modules

    for _config, module in app_modules("access"):
        yield module


def declared_menus() -> list[MenuItem]:
    items = []
    for module in app_access_modules():
        items.extend(getattr(module, "MENUS", []))
    return items


def declared_role_perms() -> dict[str, set[str]]:
    grants: dict[str, set[str]] = {}
    for spec in PLATFORM_ROLES + INSTITUTION_ROLE_TEMPLATES:
        grants.setdefault(spec.code, set()).update(spec.perms)
    for module in app_access_modules():
        for role_code, perms in getattr(module, "ROLE_GRANTS", {}).items():
            grants.setdefault(role_code, set()).update(perms)
    return grants


def institution_grantable_perms() -> set[str]:
    """The permission codes 数银 allows institutions to put into their own roles."""
    grants = declared_role_perms()
    allowed: set[str] = set()
    for spec in INSTITUTION_ROLE_TEMPLATES:
        allowed |= grants.get(spec.code, set())
    return allowed


# The foundation's own menus (other apps add theirs in their own access.py).
MENUS = [
    # 数银业务
    MenuItem("ops.home", Area.OPS, "工作台", "ops:home", "accounts.access_ops", icon="speedometer2", order=1),
    MenuItem("ops.me", Area.OPS, "我的资料", "ops:my_profile", "accounts.access_ops", icon="person", order=95),
    MenuItem("ops.msg", Area.OPS, "站内信", "ops:message_list", "accounts.access_ops", icon="envelope", order=90),
    # 平台管理后台
    MenuItem("platform.home", Area.PLATFORM, "首页", "platform:home", "accounts.access_platform", icon="house", order=1),
    MenuItem("platform.org", Area.PLATFORM, "机构管理", icon="bank", order=20),
    MenuItem("platform.org.list", Area.PLATFORM, "机构列表", "platform:organization_list",
             "accounts.view_organization", parent="platform.org", order=1),
    MenuItem("platform.org.applications", Area.PLATFORM, "入驻审核", "platform:application_list",
             "accounts.review_institutionapplication", parent="platform.org", order=2),
    MenuItem("platform.org.details", Area.PLATFORM, "机构资料变更审核", "platform:detail_change_list",
             "accounts.review_detail_change", parent="platform.org", order=4),
    MenuItem("platform.org.verify", Area.PLATFORM, "实名认证审核", "platform:verification_list",
             "accounts.review_realname", parent="platform.org", order=3),
    MenuItem("platform.sys", Area.PLATFORM, "系统管理", icon="gear", order=80),
    MenuItem("platform.sys.users", Area.PLATFORM, "用户管理", "platform:user_list", "accounts.view_user",
             parent="platform.sys", order=1),
    MenuItem("platform.sys.roles", Area.PLATFORM, "角色管理", "platform:role_list", "accounts.view_role",
             parent="platform.sys", order=2),
    MenuItem("platform.sys.params", Area.PLATFORM, "系统参数", "platform:param_list", "common.view_systemparameter",
             parent="platform.sys", order=5),
    MenuItem("platform.sys.oplog", Area.PLATFORM, "操作日志", "platform:operation_log", "common.view_operationlog",
             parent="platform.sys", order=8),
    MenuItem("platform.sys.loginlog", Area.PLATFORM, "登录日志", "platform:login_log", "accounts.view_loginlog",
             parent="platform.sys", order=9),
    MenuItem("platform.me", Area.PLATFORM, "我的资料", "platform:my_profile", "accounts.access_platform",
             icon="person", order=95),
    MenuItem("platform.msg", Area.PLATFORM, "站内信", "platform:message_list", "accounts.access_platform",
             icon="envelope", order=90),
    # 机构后台
    MenuItem("inst.home", Area.INST, "首页", "inst:home", "accounts.access_inst", icon="house", order=1),
    MenuItem("inst.admin", Area.INST, "管理员管理", icon="people", order=10),
    MenuItem("inst.admin.staff", Area.INST, "员工账号", "inst:staff_list", "accounts.view_user",
             parent="inst.admin", order=1),
    MenuItem("inst.admin.roles", Area.INST, "角色权限", "inst:role_list", "accounts.view_role",
             parent="inst.admin", order=2),
    MenuItem("inst.info", Area.INST, "基本信息", icon="building", order=5),
    MenuItem("inst.info.org", Area.INST, "机构信息与实名认证", "inst:institution_profile", "accounts.access_inst",
             parent="inst.info", order=1),
    MenuItem("inst.info.details", Area.INST, "资料修改", "inst:institution_details", "accounts.change_organization",
             parent="inst.info", order=3),
    MenuItem("inst.info.me", Area.INST, "我的资料", "inst:my_profile", "accounts.access_inst",
             parent="inst.info", order=2),
    MenuItem("inst.admin.menus", Area.INST, "菜单管理", "inst:inst_menu", "accounts.arrange_inst_menu",
             parent="inst.admin", order=4),
    MenuItem("inst.admin.units", Area.INST, "下级机构", "inst:unit_list", "accounts.view_organization",
             parent="inst.admin", order=3),
    MenuItem("inst.msg", Area.INST, "站内信", "inst:message_list", "accounts.access_inst", icon="envelope", order=90),
]

ROLE_GRANTS = {
    "sysadmin": ["accounts.view_organization", "accounts.view_user", "accounts.view_loginlog",
                 "common.view_operationlog", "accounts.add_user", "accounts.change_user", "accounts.view_role",
                 "accounts.add_role", "accounts.change_role", "common.view_systemparameter",
                 "common.change_parameters", "accounts.review_institutionapplication",
                 "accounts.add_organization", "accounts.change_organization", "accounts.review_realname",
                 "accounts.review_detail_change"],
    "inst_admin": ["accounts.view_user", "accounts.view_organization", "accounts.add_user", "accounts.change_user",
                   "accounts.view_role", "accounts.add_role", "accounts.change_role", "accounts.add_organization",
                   "accounts.change_organization", "accounts.delete_organization", "accounts.arrange_inst_menu"],
    "inst_viewer": ["accounts.view_user", "accounts.view_organization"],
}
