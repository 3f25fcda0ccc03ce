import pytest

from apps.messaging.models import Message
from apps.products.models import Product

pytestmark = pytest.mark.django_db


def test_broadcast_to_chosen_institution_reaches_its_tree_only(client, cast, login):
    login(cast.admin)
    resp = client.post("/platform/broadcast/", {"title": "系统升级通知", "body": "今晚 22:00 维护",
                                                "institutions": [cast.inst_a.pk]}, follow=True)
    assert "公告已发送给 5 位机构员工" in resp.content.decode()
    got = set(Message.objects.filter(title="系统升级通知").values_list("recipient__username", flat=True))
    assert got == {"t_a_admin", "t_a_officer", "t_a_viewer", "t_a_sub_user", "t_a_sub2_user"}


def test_broadcast_to_all(client, cast, login):
    login(cast.admin)
    client.post("/platform/broadcast/", {"title": "全体通知", "body": "内容"})
    assert Message.objects.filter(title="全体通知").count() == 6  # five of A, one of B
    assert not Message.objects.filter(title="全体通知", recipient=cast.cm).exists()


def test_broadcast_refused_to_others(client, cast, login):
    login(cast.a_admin)
    assert client.post("/platform/broadcast/", {"title": "x", "body": "y"}).status_code == 403
    assert not Message.objects.exists()


def test_product_create_and_edit(client, cast, login):
    login(cast.admin)
    data = {"code": "pledge", "name": "质押贷款", "category": "other", "description": "", "min_amount": "5000",
            "max_amount": "100", "hold_amount": "1000.00", "commission_rate": "0.0100", "commission_min": "0",
            "service_fee": "100.00", "is_active": "on", "sort_order": "9", "checklist_text": "身份证\n质押物证明\n"}
    resp = client.post("/platform/products/new/", data)
    assert "最高金额不能低于最低金额" in resp.content.decode() and not Product.objects.filter(code="pledge").exists()
    resp = client.post("/platform/products/new/", {**data, "max_amount": "500000"})
    assert resp.status_code == 302
    product = Product.objects.get(code="pledge")
    assert product.checklist == ["身份证", "质押物证明"] and str(product.hold_amount) == "1000.00"
    client.post(f"/platform/products/{product.pk}/edit/", {**data, "max_amount": "500000", "hold_amount": "1500",
                                                           "code": "hacked"})
    product.refresh_from_db()
    assert product.hold_amount == 1500 and product.code == "pledge"


def test_products_refused_to_other_roles(client, cast, login):
    login(cast.lr)
    assert client.get("/platform/products/").status_code == 403
