"""Issue 16 §4 确认贷款类型（产品）: 客服 and 贷审 confirm or change the product during review, with a reason in
the history; the checklist is checked again against the new product; dispatch freezes the new product's hold."""
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from apps.applications import services
from apps.applications.models import Application, Status
from apps.products.models import Product
from tests.fixtures.workflow import png

pytestmark = pytest.mark.django_db


@pytest.fixture
def mortgage(db):
    return Product.objects.create(code="t-house", name="测试房抵贷", category="mortgage", hold_amount="3000.00",
                                  checklist=["身份证", "收入证明", "房产证"])


def in_review(cast, draft, *, lr=False):
    app = draft()
    services.application_submit(actor=cast.cm, application_id=app.pk)
    if lr:
        services.cs_pass(actor=cast.cs, application_id=app.pk)
    return app


def test_cs_confirms_the_product_in_the_history(cast, draft, product):
    app = in_review(cast, draft)
    services.product_confirm(actor=cast.cs, application_id=app.pk, product=product)
    app.refresh_from_db()
    last = app.history.order_by("-id").first()
    assert app.status == Status.CS_REVIEW and app.product == product
    assert last.comment == "确认贷款类型（产品）：测试信用贷。" and last.actor == cast.cs


def test_lr_changes_the_product_checklist_rechecked_and_dispatch_freezes_its_hold(cast, draft, product, mortgage,
                                                                                 partners, books_balance):
    from apps.dispatch import services as dispatch
    from apps.dispatch.models import Candidate
    from apps.positions.models import Hold

    app = in_review(cast, draft, lr=True)
    with pytest.raises(ValidationError, match="变更原因"):
        services.product_confirm(actor=cast.lr, application_id=app.pk, product=mortgage, reason="")
    services.product_confirm(actor=cast.lr, application_id=app.pk, product=mortgage, reason="客户以房产作抵押")
    app.refresh_from_db()
    assert app.product == mortgage
    # the new product asks for 房产证: a supplement request to the CM, back to 贷审 afterwards
    assert app.status == Status.SUPPLEMENT and app.supplement_return_to == Status.LR_REVIEW
    assert "房产证" in app.supplement_note
    comments = list(app.history.values_list("comment", flat=True))
    assert "贷款类型由“测试信用贷”变更为“测试房抵贷”：客户以房产作抵押" in comments
    services.document_add(actor=cast.cm, application_id=app.pk, name="房产证", upload=png())
    services.resubmit(actor=cast.cm, application_id=app.pk)
    services.lr_pass(actor=cast.lr, application_id=app.pk)
    ps = partners(1)
    dispatch.profile_products_set(profile=ps[0].profile, products=[product, mortgage])
    d = dispatch.dispatch_start(application_id=app.pk)
    cand = Candidate.objects.get(dispatch=d)
    dispatch.offer_accept(actor=ps[0].user, candidate_id=cand.pk)
    assert Hold.objects.get(status="active").amount == Decimal("3000.00")
    books_balance()


def test_bad_changes_are_refused_and_change_nothing(cast, draft, product, mortgage):
    app = in_review(cast, draft)
    Product.objects.filter(pk=mortgage.pk).update(min_amount="100000")
    mortgage.refresh_from_db()
    with pytest.raises(ValidationError, match="申请金额应在"):
        services.product_confirm(actor=cast.cs, application_id=app.pk, product=mortgage, reason="改房抵")
    with pytest.raises(PermissionDenied):  # 贷审's code does not reach 客服审核
        services.product_confirm(actor=cast.cm, application_id=app.pk, product=product)
    draft_app = draft()
    with pytest.raises(ValidationError, match="只有客服审核或贷审审核中"):
        services.product_confirm(actor=cast.cs, application_id=draft_app.pk, product=product)
    app.refresh_from_db()
    assert app.product == product and app.history.count() == 2


def test_lr_pass_refuses_an_incomplete_checklist(cast, draft, product):
    app = in_review(cast, draft, lr=True)
    Product.objects.filter(pk=product.pk).update(checklist=["身份证", "收入证明", "银行流水"])
    with pytest.raises(ValidationError, match="银行流水"):
        services.lr_pass(actor=cast.lr, application_id=app.pk)
    assert Application.objects.get(pk=app.pk).status == Status.LR_REVIEW


def test_product_page_form_allowed_wrong_role_and_out_of_scope(client, cast, login, draft, product, mortgage):
    app = in_review(cast, draft)
    url = f"/ops/applications/{app.pk}/product/"
    login(cast.cs)
    assert 'data-testid="product-confirm"' in client.get(f"/ops/applications/{app.pk}/").content.decode()
    resp = client.post(url, {"product": mortgage.pk, "reason": ""}, follow=True)
    assert "变更产品时请填写变更原因" in resp.content.decode()
    assert Application.objects.get(pk=app.pk).product == product
    resp = client.post(url, {"product": mortgage.pk, "reason": "客户有房产"}, follow=True)
    html = resp.content.decode()
    assert "已确认贷款类型（产品）：测试房抵贷" in html and "已要求客户经理补充" in html
    login(cast.lr)  # 贷审's code, but the application waits for the CM now
    assert client.post(url, {"product": product.pk, "reason": "改回"}).status_code == 302
    assert Application.objects.get(pk=app.pk).product == mortgage
    login(cast.cm)
    assert 'data-testid="product-confirm"' not in client.get(f"/ops/applications/{app.pk}/").content.decode()
    other = in_review(cast, draft)
    assert client.post(f"/ops/applications/{other.pk}/product/", {"product": mortgage.pk, "reason": "x"}).status_code == 403
    login(cast.cm2)  # another customer manager: not in their scope
    assert client.post(url, {"product": product.pk, "reason": "x"}).status_code == 404
    login(cast.a_admin)  # an institution user: not their area
    assert client.post(url, {"product": product.pk, "reason": "x"}).status_code == 403
