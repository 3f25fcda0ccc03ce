from apps.accounts.access import MenuItem
from apps.accounts.models import Area

MENUS = [
    MenuItem("platform.biz", Area.PLATFORM, "业务配置", icon="sliders", order=40),
    MenuItem("platform.biz.products", Area.PLATFORM, "贷款产品", "platform:product_list", "products.view_product",
             parent="platform.biz", order=1),
]

ROLE_GRANTS = {
    "sysadmin": ["products.view_product", "products.add_product", "products.change_product"],
}
