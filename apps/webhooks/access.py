from apps.accounts.access import MenuItem
from apps.accounts.models import Area

MENUS = [
    MenuItem("inst.admin.webhooks", Area.INST, "Webhook 管理", "inst:webhook_list", "webhooks.manage_webhook",
             parent="inst.admin", order=7),
]

ROLE_GRANTS = {
    "inst_admin": ["webhooks.manage_webhook"],
}
