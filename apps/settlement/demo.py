"""Demo commission agreements (see README): 深圳前海信贷 has its own terms for mortgages since the start of the
year, renewed from next year with a lower rate, so /platform/agreements/ shows a version history. Idempotent."""
from datetime import date
from decimal import Decimal


def seed() -> list[str]:
    from apps.accounts.models import Organization, User
    from apps.common import clock
    from apps.products.models import Product

    from .agreements import agreement_create
    from .models import Agreement

    inst = Organization.objects.filter(code="inst1").first()
    product = Product.objects.filter(code="mortgage").first()
    admin = User.objects.filter(username="admin").first()
    if not (inst and product and admin) or Agreement.objects.filter(institution=inst, product=product).exists():
        return []
    year = clock.today().year
    agreement_create(actor=admin, institution=inst, product=product, valid_from=date(year, 1, 1),
                     rate=Decimal("0.0130"), minimum="2500.00", service_fee="800.00", note=f"{year} 年度合作协议")
    agreement_create(actor=admin, institution=inst, product=product, valid_from=date(year + 1, 1, 1),
                     rate=Decimal("0.0120"), minimum="2500.00", service_fee="800.00", note=f"{year + 1} 年度续签")
    return [f"agreements:{inst.code}:{product.code}"]
