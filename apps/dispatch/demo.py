"""Demo dispatch profiles: the three demo institutions serve every active product and client type in the
provinces of the demo applications, so the application that reaches 待派发 in the demo is dispatched. One more
demo client (赵文博, cm1's) is dispatched and accepted by one institution while the other offers are still open
(each with its own 24 hours): cm1 can record the client's choice now, or wait for more acceptances."""
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
    created += _one_accepted_others_open()
    return created


OPEN_DEMO = ("赵文博", "44030519870909006", "13600000006")


def _one_accepted_others_open() -> list[str]:
    from apps.applications import services as review
    from apps.applications.demo import ADDRESSES, PURPOSES, _png  # a real (decodable) scan: uploads are checked
    from apps.common.validators import resident_id_check_char
    from apps.members import services as members
    from apps.members.models import Member

    from .models import Candidate

    name, first17, mobile = OPEN_DEMO
    number = first17 + resident_id_check_char(first17)
    users = {u.username: u for u in User.objects.filter(username__in=["cm1", "cs1", "lr1"])}
    product = Product.objects.filter(code="credit").first()
    if len(users) < 3 or product is None or Member.objects.filter(id_number=number).exists():
        return []
    cm = users["cm1"]
    member = members.member_register(actor=cm, real_name=name, id_number=number, mobile=mobile,
                                     address=ADDRESSES["440305"], client_type="individual",
                                     id_photo_front=_png(), id_photo_back=_png())
    member = members.member_decide(actor=users["cs1"], member_id=member.pk, approve=True)
    app = review.application_create(actor=cm, member=member, product=product, amount="80000", term_months=12,
                                    region=Region.objects.get(code="440305"), purpose=PURPOSES["credit"],
                                    client_type="individual")
    for doc in product.checklist:
        review.document_add(actor=cm, application_id=app.pk, name=doc, upload=_png())
    review.application_submit(actor=cm, application_id=app.pk)
    review.cs_pass(actor=users["cs1"], application_id=app.pk)
    review.lr_pass(actor=users["lr1"], application_id=app.pk)
    services.dispatch_start(application_id=app.pk, only_ready=True)  # None when the review hook already did
    offers = list(Candidate.objects.filter(application=app, status=Candidate.Status.OFFERED).select_related(
        "institution").order_by("rank"))
    accepter = next((c for c in offers if c.institution.code == "inst2"), offers[-1] if offers else None)
    if accepter is not None:
        admin = User.objects.filter(organization=accepter.institution, username__endswith="_admin").first()
        if admin is not None:
            services.offer_accept(actor=admin, candidate_id=accepter.pk)
    return [f"{app.order_no}（一家已受理，其余派单仍在受理中）"]
