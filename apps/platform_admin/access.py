from apps.accounts.access import MenuItem
from apps.accounts.models import Area

MENUS = [
    MenuItem("platform.sys.menus", Area.PLATFORM, "菜单与权限代码", "platform:menu_list", "accounts.view_menu",
             parent="platform.sys", order=3),
    MenuItem("platform.sys.codes", Area.PLATFORM, "权限编码", "platform:permission_code_list", "auth.view_permission",
             parent="platform.sys", order=4),
    MenuItem("platform.regions", Area.PLATFORM, "区域", "platform:region_tree", "regions.view_region",
             icon="geo-alt", order=40),
    MenuItem("platform.org.broadcast", Area.PLATFORM, "公告群发", "platform:broadcast", "messaging.add_message",
             parent="platform.org", order=5),
    MenuItem("platform.sys.identity", Area.PLATFORM, "重复身份标识核对", "platform:identity_duplicates",
             "accounts.review_identity_conflicts", parent="platform.sys", order=12),
]

ROLE_GRANTS = {"sysadmin": ["messaging.add_message", "accounts.view_menu", "accounts.change_menu",
                            "accounts.delete_menu", "auth.view_permission", "auth.change_permission",
                            "auth.add_permission", "auth.delete_permission", "regions.view_region",
                            "regions.manage_regions", "accounts.review_identity_conflicts"]}
