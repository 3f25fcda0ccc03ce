from decimal import Decimal

from .models import Product

PRODUCTS = [
    ("mortgage", "房产抵押贷款", "mortgage", "5000.00", "0.0150", "2000.00", "800.00",
     ["身份证", "房产证", "户口本", "银行流水（近6个月）", "收入证明"]),
    ("car", "汽车抵押贷款", "car", "2000.00", "0.0200", "500.00", "300.00",
     ["身份证", "行驶证", "机动车登记证书", "银行流水（近6个月）"]),
    ("credit", "个人信用贷款", "credit", "1000.00", "0.0250", "300.00", "200.00",
     ["身份证", "收入证明", "征信授权书"]),
    ("business", "企业经营贷款", "business", "8000.00", "0.0120", "3000.00", "1000.00",
     ["身份证", "营业执照", "公司章程", "财务报表", "银行流水（近12个月）"]),
]


def seed() -> list[str]:
    created = []
    for order, (code, name, cat, hold, rate, cmin, fee, checklist) in enumerate(PRODUCTS, start=1):
        _, new = Product.objects.get_or_create(code=code, defaults=dict(
            name=name, category=cat, hold_amount=Decimal(hold), commission_rate=Decimal(rate),
            commission_min=Decimal(cmin), service_fee=Decimal(fee), checklist=checklist, sort_order=order))
        if new:
            created.append(code)
    return created
