"""Every URL of the three areas, requested by the wrong people.

The registry below must name every area URL pattern (the first test fails when a new one is added
without being listed), with the keyword arguments that point at *another tenant's* object
(institution B's, for requests made by institution A's admin). Each URL is then requested:
anonymously (→ the area's login page), by a user of another area (→ 403, GET and POST), and for
institution URLs by A's admin with B's ids (→ 404 or 403, and B's data unchanged)."""
import pytest

from apps.accounts.checks import OPEN_VIEWS, iter_area_patterns
from apps.accounts.models import Organization, Role, User
from apps.dispatch.models import Candidate
from apps.messaging.models import Message
from apps.messaging.services import message_send
from tests.fixtures.files import PNG

pytestmark = pytest.mark.django_db


def b_message(c):
    msg = Message.objects.filter(recipient=c.b_admin, title="乙机构的消息").first()
    if msg is None:
        message_send(recipients=[c.b_admin], title="乙机构的消息")
        msg = Message.objects.get(recipient=c.b_admin, title="乙机构的消息")
    return {"pk": msg.pk}


def b_role(c):
    return {"pk": Role.objects.get(organization=c.inst_b, code="inst_officer").pk}


def b_recharge(c):
    from apps.positions.models import Recharge
    from apps.positions.services import recharge_offline_submit

    r = Recharge.objects.filter(institution=c.inst_b).first() or recharge_offline_submit(
        institution=c.inst_b, amount="10", bank_reference="B", voucher_path="vouchers/b.png", user=c.b_admin)
    return {"pk": r.pk}


def any_pk(c):
    return {"pk": 999999}


def b_candidate(c):
    """A case dispatched to institution B (the product freezes nothing, so B needs no money)."""
    if getattr(c, "b_candidate", None) is None:
        from django.core.files.uploadedfile import SimpleUploadedFile

        from apps.applications import services as review
        from apps.common.validators import resident_id_check_char
        from apps.dispatch import services as dispatch
        from apps.members import services as members
        from apps.products.models import Product
        from apps.regions.models import Region

        product = Product.objects.create(code="t-iso", name="隔离测试贷", category="credit", hold_amount="0")
        profile = dispatch.profile_ensure(c.inst_b)
        dispatch.profile_update(actor=c.admin, profile=profile, capacity=5, client_types=["individual"], is_active=True)
        dispatch.profile_areas_set(profile=profile, regions=[Region.objects.get(code="33")])
        dispatch.profile_products_set(profile=profile, products=[product])
        first17 = "33010619900101777"
        member = members.member_register(
            actor=c.cm, real_name="乙的客户", id_number=first17 + resident_id_check_char(first17), mobile="13700000077",
            address="杭州", client_type="individual", id_photo_front=SimpleUploadedFile("f.png", PNG),
            id_photo_back=SimpleUploadedFile("b.png", PNG))
        member = members.member_decide(actor=c.cs, member_id=member.pk, approve=True)
        app = review.application_create(actor=c.cm, member=member, product=product, amount="20000", term_months=6,
                                        region=Region.objects.get(code="330106"), purpose="隔离测试",
                                        client_type="individual")
        review.application_submit(actor=c.cm, application_id=app.pk)
        review.cs_pass(actor=c.cs, application_id=app.pk)
        review.lr_pass(actor=c.lr, application_id=app.pk)
        dispatch.dispatch_start(application_id=app.pk)
        c.b_candidate = app.dispatches.get().candidates.get(institution=c.inst_b)
    return {"pk": c.b_candidate.pk}


# name → kwargs pointing at a foreign object (for the institution area) or any valid kwargs.
FOREIGN = {
    "inst:staff_detail": lambda c: {"pk": c.b_admin.pk},
    "inst:staff_edit": lambda c: {"pk": c.b_admin.pk},
    "inst:staff_toggle": lambda c: {"pk": c.b_admin.pk},
    "inst:staff_password": lambda c: {"pk": c.b_admin.pk},
    "inst:staff_force_logout": lambda c: {"pk": c.b_admin.pk},
    "inst:unit_detail": lambda c: {"pk": c.inst_b.pk},
    "inst:unit_edit": lambda c: {"pk": c.inst_b.pk},
    "inst:unit_delete": lambda c: {"pk": c.inst_b.pk},
    "inst:role_edit": b_role,
    "inst:message_detail": b_message,
    "ops:message_detail": b_message,
    "platform:message_detail": b_message,
    "inst:activate": lambda c: {"uidb64": "x", "token": "y"},
    "platform:param_edit": lambda c: {"key": "security.login_failure_limit"},
    "inst:recharge_voucher": b_recharge,
    "ops:member_photo": lambda c: {"pk": 999999, "side": "front"},
    "ops:application_create": lambda c: {"member_pk": 999999},
    "ops:application_act": lambda c: {"pk": 999999, "action": "submit"},
    "ops:document_download": lambda c: {"pk": 999999, "doc_pk": 999999},
    "inst:offer_detail": b_candidate,
    "inst:offer_accept": b_candidate,
    "inst:offer_decline": b_candidate,
    **{f"ops:{name}": (lambda c: {"app_pk": 999999}) for name in (
        "dispatch_record", "dispatch_candidate_add", "dispatch_window_extend", "dispatch_round_close", "redispatch",
        "dispatch_choice")},
}
FOREIGN_DEFAULT_OK = {  # patterns whose kwargs are not tenant data (platform/ops only)
    "platform:organization_detail", "platform:user_detail", "platform:user_edit", "platform:user_toggle",
    "platform:user_password", "platform:user_force_logout", "platform:role_edit", "platform:institution_edit",
    "platform:institution_toggle", "platform:application_detail", "platform:application_licence",
    "platform:verification_decide", "platform:verification_photo", "platform:product_edit", "platform:menu_edit",
    "platform:menu_delete", "ops:recharge_decide", "ops:recharge_voucher", "ops:approval_decide",
    "ops:member_detail", "ops:member_decide", "ops:application_detail", "ops:application_supplement",
    "ops:application_arbitrate", "ops:document_upload", "platform:profile_edit", "platform:category_request_decide",
    "platform:cluster_edit", "platform:cluster_delete",
}


def merge_app_registries():
    """Apps may keep their entries in ``apps/<app>/tests/isolation.py`` (``FOREIGN``, ``FOREIGN_DEFAULT_OK``)."""
    import importlib
    import importlib.util

    from django.apps import apps as django_apps

    for config in django_apps.get_app_configs():
        if not config.name.startswith("apps.") or importlib.util.find_spec(f"{config.name}.tests") is None:
            continue
        if importlib.util.find_spec(f"{config.name}.tests.isolation") is None:
            continue
        module = importlib.import_module(f"{config.name}.tests.isolation")
        FOREIGN.update(getattr(module, "FOREIGN", {}))
        FOREIGN_DEFAULT_OK.update(getattr(module, "FOREIGN_DEFAULT_OK", set()))


def area_urls(cast):
    from django.urls import reverse

    merge_app_registries()
    out = []
    for namespace, pattern in iter_area_patterns():
        name = f"{namespace}:{pattern.name}"
        kwargs = {}
        if pattern.pattern.converters:
            maker = FOREIGN.get(name) or (any_pk if name in FOREIGN_DEFAULT_OK else None)
            assert maker, f"{name} takes arguments: add it to FOREIGN (a foreign object) in {__file__}"
            kwargs = maker(cast)
        out.append((namespace, pattern.name, reverse(name, kwargs=kwargs)))
    return out


def test_registry_covers_every_pattern(cast):
    urls = area_urls(cast)
    assert len(urls) > 40


def test_anonymous_goes_to_the_area_login(client, cast):
    for area, name, url in area_urls(cast):
        if name in OPEN_VIEWS:
            continue
        for method in (client.get, client.post):
            resp = method(url)
            assert resp.status_code in (302, 405), (url, resp.status_code)
            if resp.status_code == 302:
                assert resp["Location"].startswith(f"/{area}/login/"), url


@pytest.mark.parametrize("area,who", [("ops", "a_admin"), ("platform", "a_admin"), ("platform", "cm"),
                                      ("inst", "cm"), ("inst", "admin"), ("ops", "admin")])
def test_wrong_area_is_403(client, cast, login, area, who):
    login(getattr(cast, who))
    for url_area, name, url in area_urls(cast):
        if url_area != area or name in OPEN_VIEWS:
            continue
        assert client.get(url).status_code in (403, 405), url
        assert client.post(url, {"pk": 1, "name": "x"}).status_code in (403, 405), url


def snapshot(cast):
    b_users = list(User.objects.filter(organization__path__startswith=cast.inst_b.path)
                   .order_by("pk").values_list("pk", "username", "is_active", "password", "session_epoch"))
    b_orgs = list(Organization.objects.filter(path__startswith=cast.inst_b.path).values_list("pk", "name"))
    b_roles = list(Role.objects.filter(organization=cast.inst_b).values_list("pk", "name", "is_active"))
    b_msgs = list(Message.objects.filter(recipient=cast.b_admin).values_list("pk", "is_read"))
    b_cases = list(Candidate.objects.filter(institution=cast.inst_b).values_list("pk", "status", "answered_at"))
    from apps.cases.models import Case
    from apps.complaints.models import Complaint
    from apps.settlement.models import Settlement

    b_work = (list(Case.objects.filter(institution=cast.inst_b).values_list("pk", "status", "officer_id")),
              list(Settlement.objects.filter(institution=cast.inst_b).values_list("pk", "status", "paid_at")),
              list(Complaint.objects.filter(filing_institution=cast.inst_b).values_list("pk", "status", "step_no")))
    from apps.api.models import ApiKey
    from apps.webhooks.models import Delivery, Endpoint

    b_integrations = (list(ApiKey.objects.filter(institution=cast.inst_b).values_list("pk", "revoked_at")),
                      list(Endpoint.objects.filter(institution=cast.inst_b).values_list("pk", "url", "is_active")),
                      Delivery.objects.filter(endpoint__institution=cast.inst_b).count())
    return b_users, b_orgs, b_roles, b_msgs, b_cases, b_work, b_integrations


def test_institution_cannot_reach_another_institutions_objects(client, cast, login):
    login(cast.a_admin)
    urls = [(n, u) for area, n, u in area_urls(cast) if area == "inst" and n not in OPEN_VIEWS and "/" in u[6:-1]]
    before = snapshot(cast)
    for name, url in urls:
        if not any(ch.isdigit() for ch in url):
            continue
        for method in (client.get, client.post):
            resp = method(url, {"name": "被篡改", "is_active": "", "password": "Hijack-2026-x"})
            assert resp.status_code in (403, 404, 405), (name, url, resp.status_code)
    assert snapshot(cast) == before
