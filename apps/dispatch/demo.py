"""Demo dispatch profiles: the three demo institutions serve every active product and client type in the
provinces of the demo applications, so the application that reaches 待派发 in the demo is dispatched."""
from apps.accounts.models import Organization, User
from apps.members.models import ClientType
from apps.products.models import Product
from apps.regions.models import Region

from . import services
from .models import Profile

INSTITUTIONS = ["inst1", "inst2", "inst3"]
DEMO_DISTRICTS = ["440305", "440306", "330106", "510104"]  # the districts of apps/applications/demo.py
CAPACITY = 20


def seed() -> list[str]:
    admin = User.objects.filter(username="admin").first()
    provinces = Region.objects.filter(level=Region.Level.PROVINCE, code__in=Region.objects.filter(
        code__in=DEMO_DISTRICTS).values("province_code"))
    created = []
    for code in INSTITUTIONS:
        org = Organization.objects.filter(code=code, parent__isnull=True).first()
        if org is None or Profile.objects.filter(institution=org).exists():
            continue
        profile = services.profile_ensure(org)
        services.profile_update(actor=admin, profile=profile, capacity=CAPACITY, client_types=list(ClientType.values),
                                is_active=True)
        services.profile_areas_set(profile=profile, regions=provinces)
        services.profile_products_set(profile=profile, products=Product.objects.filter(is_active=True))
        created.append(f"dispatch profile {code}")
    return created
