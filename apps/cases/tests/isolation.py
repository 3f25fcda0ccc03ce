"""Entries for the URL isolation registry (tests/test_url_isolation.py, merged there by hand): every case
URL takes a case id, given here as institution B's case, which A's admin must not reach.

``b_case(cast)`` builds that case once per test through the real services: B gets a funded margin and a
dispatch profile, an application already past review (created straight in 待派发, as the bulk fixtures do)
is dispatched to B, B accepts and the CM records that the client chose B."""
from datetime import date

from apps.cases.models import Case

CASE_URLS = ["inst:case_detail", "inst:case_allocate", "inst:case_review", "inst:case_book_signing",
             "inst:case_record_signing", "inst:case_disburse", "inst:case_cannot_lend"]


def _b_dispatch_ready(c) -> None:
    from apps.dispatch import services as dispatch
    from apps.dispatch.scoring import profiles_rescore
    from apps.positions import services as ledger
    from apps.positions.models import Account
    from apps.products.models import Product
    from apps.regions.models import Region

    product, _new = Product.objects.get_or_create(code="iso-credit", defaults={
        "name": "隔离测试信用贷", "category": "credit", "hold_amount": "1000.00", "checklist": ["身份证"]})
    recharge = ledger.recharge_offline_submit(institution=c.inst_b, amount="5000", bank_reference="ISO",
                                              voucher_path="", user=c.st)
    ledger.recharge_offline_decide(recharge_id=recharge.pk, user=c.st, approve=True)
    ledger.transfer(institution=c.inst_b, source=Account.Kind.CASH, target=Account.Kind.MARGIN, amount="5000")
    profile = dispatch.profile_ensure(c.inst_b)
    dispatch.profile_update(actor=c.admin, profile=profile, capacity=5, client_types=["individual"], is_active=True)
    sz = Region.objects.get(code="440305")
    dispatch.profile_areas_set(profile=profile, regions=[Region.objects.get(code=sz.province_code)])
    dispatch.profile_products_set(profile=profile, products=[product])
    profiles_rescore()


def b_case(c) -> Case:
    case = Case.objects.filter(institution=c.inst_b).first()
    if case is not None:
        return case
    from apps.applications.models import Application, Status
    from apps.dispatch import services as dispatch
    from apps.dispatch.models import Candidate
    from apps.members.models import Member
    from apps.products.models import Product
    from apps.regions.models import Region

    _b_dispatch_ready(c)
    member = Member.objects.create(real_name="乙客户", id_number="ISO000000000000001", mobile="13900000001",
                                   address="杭州市西湖区", client_type="individual", birth_date=date(1990, 1, 1),
                                   id_photo_front="-", id_photo_back="-", status=Member.Status.VERIFIED,
                                   registered_by=c.cm, organization=c.team)
    app = Application.objects.create(order_no="ISO00000000001", member=member, product=Product.objects.get(
        code="iso-credit"), amount="50000", term_months=12, region=Region.objects.get(code="440305"), purpose="隔离测试",
        client_type="individual", status=Status.READY, cm=c.cm, organization=c.team)
    d = dispatch.dispatch_start(application_id=app.pk)
    cand = Candidate.objects.get(dispatch=d, institution=c.inst_b)
    dispatch.offer_accept(actor=c.b_admin, candidate_id=cand.pk)
    dispatch.client_choose(actor=c.cm, application_id=app.pk, candidate_id=cand.pk)
    return Case.objects.get(candidate=cand)


FOREIGN = {name: (lambda c: {"pk": b_case(c).pk}) for name in CASE_URLS}


def _b_document(c) -> dict:
    """B's case with a document of its application (a real stored file), which A must not download."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from apps.applications.models import Document
    from apps.common.files import private_save
    from tests.fixtures.files import PNG

    case = b_case(c)
    doc = case.application.documents.first() or Document.objects.create(
        application=case.application, name="身份证", size=len(PNG), uploaded_by=c.cm,
        path=private_save(SimpleUploadedFile("x.png", PNG, content_type="image/png"),
                          folder=f"applications/{case.application_id}"))
    return {"pk": case.pk, "doc_pk": doc.pk}


FOREIGN["inst:case_document"] = _b_document
FOREIGN["inst:case_id_photo"] = lambda c: {"pk": b_case(c).pk, "side": "front"}
FOREIGN_DEFAULT_OK: set[str] = set()
