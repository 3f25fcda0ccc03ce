from apps.accounts.access import MenuItem
from apps.accounts.models import Area

MENUS = [
    # everyone: their own choice of channels, beside 我的资料
    MenuItem("ops.notify_settings", Area.OPS, "通知设置", "ops:notification_settings", "accounts.access_ops",
             icon="bell", order=96),
    MenuItem("platform.notify_settings", Area.PLATFORM, "通知设置", "platform:notification_settings",
             "accounts.access_platform", icon="bell", order=96),
    MenuItem("inst.info.notify", Area.INST, "通知设置", "inst:notification_settings", "accounts.access_inst",
             parent="inst.info", order=4),
    # the institution administrator connects the group chat
    MenuItem("inst.admin.robots", Area.INST, "群机器人", "inst:robot_list", "notifications.manage_robot",
             parent="inst.admin", order=6),
    # the platform: defaults per role, 数银 teams' robots, the delivery log, the demo mailbox
    MenuItem("platform.notify", Area.PLATFORM, "通知管理", icon="broadcast", order=85),
    MenuItem("platform.notify.defaults", Area.PLATFORM, "通知默认设置", "platform:notification_defaults",
             "notifications.manage_defaults", parent="platform.notify", order=1),
    MenuItem("platform.notify.robots", Area.PLATFORM, "群机器人", "platform:robot_list", "notifications.manage_robot",
             parent="platform.notify", order=2),
    MenuItem("platform.notify.log", Area.PLATFORM, "通知发送记录", "platform:delivery_list",
             "notifications.view_delivery", parent="platform.notify", order=3),
    MenuItem("platform.notify.mailbox", Area.PLATFORM, "演示邮箱", "platform:demo_mailbox",
             "notifications.view_delivery", parent="platform.notify", order=4),
]

ROLE_GRANTS = {
    "sysadmin": ["notifications.manage_defaults", "notifications.manage_robot", "notifications.view_delivery"],
    "inst_admin": ["notifications.manage_robot"],
}
