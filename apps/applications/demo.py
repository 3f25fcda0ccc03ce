"""Demo clients and applications in several statuses, so every queue has something in it."""
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from apps.accounts.models import User
from apps.common.validators import resident_id_check_char
from apps.members import services as members
from apps.members.models import Member
from apps.products.models import Product
from apps.regions.models import Region

from . import services

# Where the demo clients live (by district) and what they borrow for, as a 客户经理 would write it.
ADDRESSES = {"440305": "广东省深圳市南山区科技园南路 18 号", "440306": "广东省深圳市宝安区新安街道创业二路 66 号",
             "330106": "浙江省杭州市西湖区文三路 259 号", "510104": "四川省成都市锦江区红星路三段 1 号"}
PURPOSES = {"mortgage": "购置首套住房", "car": "购买家用汽车", "credit": "装修及家庭消费", "business": "门店进货周转"}

CLIENTS = [  # name, id first 17, mobile, product, amount, district, stop at
    ("刘建军", "44030519850312001", "13600000001", "mortgage", "800000", "440305", "cs_review"),
    ("陈美玲", "44030619900520002", "13600000002", "car", "150000", "440306", "lr_review"),
    ("张伟", "33010619880808003", "13600000003", "credit", "50000", "330106", "supplement"),
    ("李秀英", "51010419920101004", "13600000004", "business", "1200000", "510104", "ready"),
    ("王磊", "44030519950615005", "13600000005", "credit", "30000", "440305", "draft"),
]


def _png():
    """A real (blank) scan: uploads are checked by content, so the demo's files must decode."""
    out = io.BytesIO()
    Image.new("RGB", (64, 40), "white").save(out, "PNG")
    return SimpleUploadedFile("demo.png", out.getvalue(), content_type="image/png")


def seed() -> list[str]:
    users = {u.username: u for u in User.objects.filter(username__in=["cm1", "cm2", "cs1", "lr1"])}
    if len(users) < 4:
        return []
    created = []
    for i, (name, first17, mobile, product_code, amount, district, stop) in enumerate(CLIENTS):
        number = first17 + resident_id_check_char(first17)
        if Member.objects.filter(id_number=number).exists():
            continue
        cm = users["cm1"] if i % 2 == 0 else users["cm2"]
        member = members.member_register(actor=cm, real_name=name, id_number=number, mobile=mobile,
                                         address=ADDRESSES[district], client_type="individual", id_photo_front=_png(),
                                         id_photo_back=_png())
        member = members.member_decide(actor=users["cs1"], member_id=member.pk, approve=True)
        product = Product.objects.get(code=product_code)
        app = services.application_create(actor=cm, member=member, product=product, amount=amount, term_months=24,
                                          region=Region.objects.get(code=district), purpose=PURPOSES[product_code],
                                          client_type="individual")
        created.append(app.order_no)
        if stop == "draft":
            continue
        for doc in product.checklist:
            services.document_add(actor=cm, application_id=app.pk, name=doc, upload=_png())
        services.application_submit(actor=cm, application_id=app.pk)
        if stop == "cs_review":
            continue
        services.cs_pass(actor=users["cs1"], application_id=app.pk)
        if stop == "supplement":
            services.ask_supplement(actor=users["lr1"], application_id=app.pk, missing="近 6 个月银行流水")
        elif stop == "ready":
            services.lr_pass(actor=users["lr1"], application_id=app.pk)
    return created
