import pytest
from django.core.management import call_command

from apps.accounts.models import Organization, User
from apps.products.models import Product

pytestmark = pytest.mark.django_db


def test_seed_demo_is_idempotent_and_complete():
    call_command("seed_demo")
    counts = (User.objects.count(), Organization.objects.count(), Product.objects.count())
    call_command("seed_demo")
    assert (User.objects.count(), Organization.objects.count(), Product.objects.count()) == counts
    names = set(User.objects.values_list("username", flat=True))
    assert {"admin", "cm1", "cm2", "cs1", "lr1", "lrs1", "of1", "st1", "cc1", "tl1", "bd1",
            "inst1_admin", "inst2_admin", "inst3_admin", "inst1_op1", "inst1_sub_op1"} <= names
    insts = Organization.objects.filter(kind="institution", parent__isnull=True)
    assert insts.count() >= 3
    assert len({o.region.province_code for o in insts}) >= 2
    assert set(Product.objects.values_list("category", flat=True)) >= {"mortgage", "car", "credit", "business"}
    assert User.objects.get(username="inst1_sub_op1").organization.parent.code == "inst1"
    assert User.objects.get(username="cm1").check_password("shuyin-demo-2026")
    # 跟单经理 and 跟单员 are two roles with their own codes (issue 16 §6)
    of1, fo1 = User.objects.get(username="of1"), User.objects.get(username="fo1")
    assert [r.name for r in of1.roles.all()] == ["跟单经理"] and [r.name for r in fo1.roles.all()] == ["跟单员"]
    assert fo1.superior == of1 and fo1.real_name == "刘雨桐"
    assert of1.has_perm("dispatch.intervene") and not fo1.has_perm("dispatch.intervene")
    assert fo1.has_perm("settlement.confirm_amount") and not of1.has_perm("settlement.confirm_amount")
    assert of1.has_perm("settlement.approve_commission") and not fo1.has_perm("settlement.approve_commission")
    from apps.settlement.models import Agreement, AgreementLog

    versions = list(Agreement.objects.filter(institution__code="inst1").order_by("valid_from"))
    assert len(versions) == 2 and versions[0].valid_to is not None and versions[1].valid_to is None
    assert AgreementLog.objects.count() == 3  # two versions added, the first ended by the second
