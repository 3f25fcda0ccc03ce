from apps.accounts.access import MenuItem
from apps.accounts.models import Area

MENUS = [
    MenuItem("inst.dispatch", Area.INST, "业务派单", icon="inboxes", order=20),
    MenuItem("inst.dispatch.offers", Area.INST, "可受理贷款查询", "inst:offer_list", "dispatch.view_case",
             parent="inst.dispatch", order=1),
    MenuItem("inst.dispatch.profile", Area.INST, "派发参数详情", "inst:dispatch_profile", "dispatch.view_own_profile",
             parent="inst.dispatch", order=5),
    MenuItem("ops.dispatch", Area.OPS, "派发管理", icon="diagram-3", order=30),
    MenuItem("ops.dispatch.monitor", Area.OPS, "派发监控", "ops:dispatch_monitor", "dispatch.intervene",
             parent="ops.dispatch", order=1),
    MenuItem("ops.dispatch.redispatch", Area.OPS, "待重新派发", "ops:redispatch_queue", "dispatch.redispatch",
             parent="ops.dispatch", order=2),
    MenuItem("ops.dispatch.choice", Area.OPS, "待客户确认机构", "ops:choice_queue", "dispatch.record_choice",
             parent="ops.dispatch", order=3),
    MenuItem("platform.dispatch", Area.PLATFORM, "派发配置", icon="diagram-3", order=30),
    MenuItem("platform.dispatch.profiles", Area.PLATFORM, "机构派发参数", "platform:profile_list",
             "dispatch.manage_profiles", parent="platform.dispatch", order=1),
    MenuItem("platform.dispatch.requests", Area.PLATFORM, "业务类别变更审核", "platform:category_requests",
             "dispatch.manage_profiles", parent="platform.dispatch", order=2),
    MenuItem("platform.dispatch.clusters", Area.PLATFORM, "区域集群", "platform:cluster_list",
             "dispatch.manage_profiles", parent="platform.dispatch", order=3),
]

_INST = ["dispatch.view_case", "dispatch.view_own_profile"]
ROLE_GRANTS = {
    "inst_admin": _INST + ["dispatch.answer_case", "dispatch.edit_own_profile"],
    "inst_officer": _INST + ["dispatch.answer_case"],
    "inst_viewer": _INST,
    "of": ["dispatch.view_dispatch", "dispatch.intervene"],
    "lr": ["dispatch.view_dispatch", "dispatch.redispatch"],
    "lr_supervisor": ["dispatch.view_dispatch", "dispatch.redispatch"],
    "cm": ["dispatch.record_choice"],
    "sysadmin": ["dispatch.manage_profiles"],
}
