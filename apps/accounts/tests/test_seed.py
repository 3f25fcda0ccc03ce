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


def test_demo_people_have_real_names_and_sit_in_the_unit_of_their_work():
    """Issue 19 §11: display names are people's names (not "inst1管理员"), and each 数银 user's unit fits the role."""
    import re

    from apps.members.models import Member

    call_command("seed_demo")
    people = list(User.objects.select_related("organization").prefetch_related("roles"))
    names = [u.real_name for u in people] + list(Member.objects.values_list("real_name", flat=True))
    role_words = re.compile(r"管理员|业务员|经理|组长|主管|客服|贷审|跟单|结算|投诉|联系人|演示|[A-Za-z0-9]|[一二三四五六]$")
    assert [n for n in names if not re.fullmatch(r"[\u4e00-\u9fff]{2,3}", n) or role_words.search(n)] == []
    assert len(set(names)) == len(names)  # every person is someone else
    fitting = {"客户经理": "客户部", "客户组长": "客户部", "客服": "审核部", "贷审": "审核部", "贷审主管": "审核部",
               "业务部": "业务部", "跟单经理": "业务部", "跟单员": "业务部", "结算员": "结算部",
               "投诉处理": "投诉处理中心", "系统管理员": "信息技术部"}
    platform = [u for u in people if u.organization.kind == Organization.Kind.PLATFORM]
    assert {u.username for u in platform} >= {"admin", "cm1", "cs1", "lr1", "bd1", "of1", "fo1", "st1", "cc1"}
    for user in platform:
        for role in user.roles.all():
            assert user.organization.name == fitting[role.name], (user.username, role.name, user.organization.name)
    assert {o.contact_name for o in Organization.objects.filter(code__in=["inst1", "inst2", "inst3"])} == {
        User.objects.get(username=f"inst{i}_admin").real_name for i in (1, 2, 3)}
