"""资料修改 (机构后台 二.4): contacts, address, the head's mobile and the refund account apply at once; name, credit
code and legal representative go to 数银 for review with before and after shown; history kept."""
import re

import pytest

from apps.accounts.models import InstitutionDetailChange, Organization
from apps.messaging.models import Message

pytestmark = pytest.mark.django_db

NEW_CODE = "91350100M000100Y43"  # valid GB 32100 (also used by the onboarding tests)


def form(org, **changes):
    """The form as the page fills it in (the region shown as its city), with ``changes``."""
    from apps.regions.models import Region

    city = Region.objects.filter(code=org.region.city_code).first() if org.region else None
    data = {"name": org.name, "credit_code": org.credit_code or "9144030071526726XG",
            "legal_representative": org.legal_representative, "region": city.pk if city else "",
            "address": org.address, "contact_name": org.contact_name, "contact_phone": org.contact_phone,
            "head_mobile": org.head_mobile, "refund_bank_name": org.refund_bank_name,
            "refund_account_name": org.refund_account_name, "refund_account_no": org.refund_account_no}
    data.update(changes)
    return data


@pytest.fixture
def inst_a(cast):
    Organization.objects.filter(pk=cast.inst_a.pk).update(credit_code="9144030071526726XG")
    return Organization.objects.get(pk=cast.inst_a.pk)


def test_contacts_and_refund_account_apply_at_once_with_history(client, cast, login, inst_a):
    login(cast.a_admin)
    assert client.get("/inst/profile/details/").status_code == 200
    resp = client.post("/inst/profile/details/", form(
        inst_a, contact_name="王联系", contact_phone="0755-86001234", address="深圳市南山区科技园 1 号",
        refund_bank_name="招商银行深圳分行", refund_account_name="甲机构", refund_account_no="755912345678"))
    assert resp.status_code == 302, re.findall(r'invalid-feedback d-block">([^<]*)', resp.content.decode())
    org = Organization.objects.get(pk=inst_a.pk)
    assert (org.contact_name, org.contact_phone, org.refund_account_no) == ("王联系", "0755-86001234", "755912345678")
    change = InstitutionDetailChange.objects.get(organization=org)
    assert change.status == "applied" and change.before["contact_name"] == "" and change.after["contact_name"] == "王联系"
    html = client.get("/inst/profile/details/").content.decode()
    assert "王联系" in html and "已生效" in html
    assert not InstitutionDetailChange.objects.filter(status="pending").exists()


def test_legal_fields_wait_for_review_and_apply_when_approved(client, cast, login, inst_a):
    login(cast.a_admin)
    client.post("/inst/profile/details/", form(inst_a, name="甲机构（深圳）有限公司", credit_code=NEW_CODE.lower(),
                                               legal_representative="李法人"))
    org = Organization.objects.get(pk=inst_a.pk)
    assert org.name == "甲机构" and org.credit_code == "9144030071526726XG"  # unchanged until 数银 approves
    change = InstitutionDetailChange.objects.get(organization=org, status="pending")
    assert change.before == {"name": "甲机构", "credit_code": "9144030071526726XG", "legal_representative": ""}
    assert change.after["credit_code"] == NEW_CODE
    assert Message.objects.filter(recipient=cast.admin, title__contains="申请变更主体信息").exists()
    assert 'data-testid="pending-change"' in client.get("/inst/profile/details/").content.decode()
    # a second legal change waits for the first
    resp = client.post("/inst/profile/details/", form(org, legal_representative="赵法人"))
    assert "已有一项主体信息变更等待数银审核" in resp.content.decode()
    assert InstitutionDetailChange.objects.filter(status="pending").count() == 1

    client.post("/inst/logout/")
    login(cast.admin, "platform")
    page = client.get("/platform/institutions/detail-changes/").content.decode()
    assert "甲机构（深圳）有限公司" in page and "李法人" in page and "<del>甲机构</del>" in page
    resp = client.post(f"/platform/institutions/detail-changes/{change.pk}/decide/", {"decision": "approve"})
    assert resp.status_code == 302
    org.refresh_from_db()
    assert (org.name, org.credit_code, org.legal_representative) == ("甲机构（深圳）有限公司", NEW_CODE, "李法人")
    change.refresh_from_db()
    assert change.status == "approved" and change.decided_by == cast.admin
    assert Message.objects.filter(recipient=cast.a_admin, title__contains="主体信息变更已通过").exists()


def test_rejection_needs_a_reason_and_changes_nothing(client, cast, login, inst_a):
    from apps.accounts import services

    _, change = services.institution_details_update(actor=cast.a_admin, values={"name": "新名字"})
    login(cast.admin, "platform")
    client.post(f"/platform/institutions/detail-changes/{change.pk}/decide/", {"decision": "reject"})
    change.refresh_from_db()
    assert change.status == "pending"
    client.post(f"/platform/institutions/detail-changes/{change.pk}/decide/",
                {"decision": "reject", "reason": "与营业执照不符"})
    change.refresh_from_db()
    assert change.status == "rejected" and change.reason == "与营业执照不符"
    assert Organization.objects.get(pk=inst_a.pk).name == "甲机构"


def test_approval_refuses_a_request_overtaken_by_another_change(cast, inst_a):
    from django.core.exceptions import ValidationError

    from apps.accounts import services

    _, change = services.institution_details_update(actor=cast.a_admin, values={"name": "新名字"})
    Organization.objects.filter(pk=inst_a.pk).update(name="数银改过的名字")  # 数银's own edit meanwhile
    with pytest.raises(ValidationError, match="在申请后已被修改"):
        services.detail_change_decide(actor=cast.admin, change_id=change.pk, approve=True)
    assert Organization.objects.get(pk=inst_a.pk).name == "数银改过的名字"


@pytest.mark.parametrize("field,value,error", [
    ("credit_code", "91350100M000100Y44", "校验位不正确"),  # the shared GB 32100 check
    ("credit_code", "123", "应为 18 位"),
    ("credit_code", "9133010071526726XX", None),  # taken by B below
    ("contact_phone", "12345", "带区号的固定电话"),
    ("refund_account_no", "6222 0000", "8–30 位数字"),
    ("refund_account_name", "别人的公司", "须与机构名称一致"),
    ("head_mobile", "2380013800", "11位中国大陆手机号"),
    ("name", "", "必填"),
])
def test_bad_input_is_refused_in_chinese_and_nothing_changes(client, cast, login, inst_a, field, value, error):
    from apps.common.validators import uscc_check_char

    taken = "913301007152672" + "6X"
    taken = taken[:17] + uscc_check_char(taken[:17])
    Organization.objects.filter(pk=cast.inst_b.pk).update(credit_code=taken)
    if value == "9133010071526726XX":
        value, error = taken, "已被其他机构使用"
    login(cast.a_admin)
    changes = {field: value}
    if field.startswith("refund"):
        changes = {"refund_bank_name": "招商银行", "refund_account_name": "甲机构", "refund_account_no": "755912345678",
                   **changes}
    resp = client.post("/inst/profile/details/", form(inst_a, **changes))
    html = resp.content.decode()
    assert resp.status_code == 200 and error in html, html[html.find("alert-danger"):][:600]
    assert not InstitutionDetailChange.objects.exists()
    assert Organization.objects.get(pk=inst_a.pk).name == "甲机构"


def test_wrong_roles_get_403(client, cast, login, inst_a):
    for who in ("a_officer", "a_viewer"):
        login(getattr(cast, who))
        assert client.get("/inst/profile/details/").status_code == 403
        assert client.post("/inst/profile/details/", form(inst_a, name="x")).status_code == 403
        client.post("/inst/logout/")
    login(cast.cm)
    assert client.get("/platform/institutions/detail-changes/").status_code == 403
    client.post("/ops/logout/")
    login(cast.a_admin)  # an institution cannot open or decide on 数银's review page
    assert client.get("/platform/institutions/detail-changes/").status_code == 403
    assert not InstitutionDetailChange.objects.exists()


def test_each_institution_edits_and_sees_only_its_own(client, cast, login, inst_a):
    from apps.accounts import services

    services.institution_details_update(actor=cast.b_admin, values={"contact_name": "乙的联系人"})
    _, b_pending = services.institution_details_update(actor=cast.b_admin, values={"name": "乙机构新名"})
    login(cast.a_sub_user)  # a sub-branch viewer: read-only
    assert client.get("/inst/profile/details/").status_code == 403
    client.post("/inst/logout/")
    login(cast.a_admin)
    html = client.get("/inst/profile/details/").content.decode()
    assert "乙的联系人" not in html and "乙机构新名" not in html
    client.post("/inst/profile/details/", form(inst_a, contact_name="甲的联系人"))
    assert Organization.objects.get(pk=cast.inst_b.pk).contact_name == "乙的联系人"
    assert client.post(f"/platform/institutions/detail-changes/{b_pending.pk}/decide/",
                       {"decision": "approve"}).status_code == 403
    b_pending.refresh_from_db()
    assert b_pending.status == "pending"


def test_review_list_query_count_is_fixed(client, cast, login, inst_a, django_assert_num_queries):
    from apps.accounts import services

    services.institution_details_update(actor=cast.a_admin, values={"name": "甲一"})
    login(cast.admin, "platform")
    client.get("/platform/institutions/detail-changes/")
    with django_assert_num_queries(3):
        assert "甲一" in client.get("/platform/institutions/detail-changes/").content.decode()
    services.institution_details_update(actor=cast.b_admin, values={"name": "乙一"})
    client.get("/platform/institutions/detail-changes/")
    with django_assert_num_queries(3):  # one more row, same count
        assert "乙一" in client.get("/platform/institutions/detail-changes/").content.decode()


def test_ranking_hint_points_to_details_page(client, cast, login):
    Organization.objects.filter(pk=cast.inst_a.pk).update(region=None)
    login(cast.a_admin)
    html = client.get("/inst/reports/ranking/").content.decode()
    hint = html[html.index('data-testid="ranking-hint"'):].split("</div>")[0]
    assert "派发参数详情" not in hint and 'href="/inst/profile/details/"' in hint
    assert client.get("/inst/profile/details/").status_code == 200
    client.post("/inst/logout/")
    login(cast.a_officer)  # may not edit details: told who can, no dead link
    html = client.get("/inst/reports/ranking/").content.decode()
    hint = html[html.index('data-testid="ranking-hint"'):].split("</div>")[0]
    assert 'href="/inst/profile/details/"' not in hint and "请本机构管理员" in hint


def test_the_recorded_district_is_kept_when_the_city_is_unchanged(client, cast, login, inst_a):
    login(cast.a_admin)
    html = client.get("/inst/profile/details/").content.decode()
    assert re.search(r'<option value="\d+" selected>深圳市</option>', html)
    client.post("/inst/profile/details/", form(inst_a, contact_name="王联系"))
    org = Organization.objects.get(pk=inst_a.pk)
    assert org.region.code == "440305"  # 南山区 stays
    assert "region" not in InstitutionDetailChange.objects.get(organization=org).after
