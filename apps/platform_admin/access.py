from apps.accounts.access import MenuItem
from apps.accounts.models import Area

MENUS = [
    MenuItem("platform.sys.menus", Area.PLATFORM, "菜单与权限代码", "platform:menu_list", "accounts.view_menu",
             parent="platform.sys", order=3),
    MenuItem("platform.org.broadcast", Area.PLATFORM, "公告群发", "platform:broadcast", "messaging.add_message",
             parent="platform.org", order=5),
    MenuItem("platform.sys.identity", Area.PLATFORM, "重复身份标识核对", "platform:identity_duplicates",
             "accounts.review_identity_conflicts", parent="platform.sys", order=12),
]

ROLE_GRANTS = {"sysadmin": ["messaging.add_message", "accounts.view_menu", "accounts.change_menu",
                            "accounts.delete_menu", "accounts.review_identity_conflicts"]}
