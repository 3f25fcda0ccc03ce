from apps.accounts.access import MenuItem
from apps.accounts.models import Area

MENUS = [
    MenuItem("inst.admin.apikeys", Area.INST, "API密钥", "inst:apikey_list", "api.manage_apikey",
             parent="inst.admin", order=6),
]

ROLE_GRANTS = {
    "inst_admin": ["api.manage_apikey"],
}
