from apps.accounts.access import MenuItem
from apps.accounts.models import Area

MENUS = [
    MenuItem("platform.org.broadcast", Area.PLATFORM, "公告群发", "platform:broadcast", "messaging.add_message",
             parent="platform.org", order=5),
]

ROLE_GRANTS = {"sysadmin": ["messaging.add_message"]}
