import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def png(name="x.png"):
    return SimpleUploadedFile(name, PNG, content_type="image/png")


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path


@pytest.fixture
def product(db):
    from apps.products.models import Product

    return Product.objects.create(code="t-credit", name="测试信用贷", category="credit", hold_amount="1000.00",
                                  checklist=["身份证", "收入证明"])


@pytest.fixture
def make_member(cast):
    from apps.members import services

    counter = {"n": 0}

    def _make(cm=None, verified=True):
        from apps.common.validators import resident_id_check_char

        counter["n"] += 1
        first17 = f"44030519900101{counter['n']:03d}"
        member = services.member_register(actor=cm or cast.cm, real_name=f"客户{counter['n']}",
                                          id_number=first17 + resident_id_check_char(first17),
                                          mobile=f"1380000{counter['n']:04d}", address="深圳市南山区",
                                          client_type="individual", id_photo_front=png(), id_photo_back=png())
        if verified:
            member = services.member_decide(actor=cast.cs, member_id=member.pk, approve=True)
        return member

    return _make


@pytest.fixture
def draft(cast, make_member, product):
    """A draft application of cast.cm with every checklist document uploaded."""
    from apps.applications import services
    from apps.regions.models import Region

    def _draft(cm=None, member=None):
        cm = cm or cast.cm
        app = services.application_create(actor=cm, member=member or make_member(cm=cm), product=product,
                                          amount="50000", term_months=12, region=Region.objects.get(code="440305"),
                                          purpose="经营周转", client_type="individual")
        for name in product.checklist:
            services.document_add(actor=cm, application_id=app.pk, name=name, upload=png())
        return app

    return _draft
