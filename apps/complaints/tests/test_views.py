"""The complaint pages: allowed roles, wrong roles (403), other tenants (404), bad input (a Chinese error and
nothing created or moved), every path through the step forms, and fixed query counts on the lists. State is
set up through the services."""
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from apps.complaints import services
from apps.complaints.models import Attachment, Complaint
from apps.complaints.selectors import complaints_for_user
from apps.positions.models import Approval
from tests.fixtures.files import PDF, PNG

from .test_paths import file

pytestmark = pytest.mark.django_db
S = Complaint.Status


@pytest.fixture(autouse=True)
def _clock(clock_reset):
    yield


def fresh(c) -> Complaint:
    return Complaint.objects.get(pk=c.pk)


def page(resp) -> str:
    return resp.content.decode()


def form_data(**kw):
    return dict(subject="客户经理未及时回复", content="客户三天未收到回复", contact_person="李女士",
                contact_phone="0755-86001234") | kw


@pytest.fixture
def as_user(login):
    """as_user(user) → a fresh client signed in as that user (several people act in one test)."""
    return lambda user: login(user, c=Client())


@pytest.fixture
def ops_without_complaints(cast):
    """A 数银 user who may enter the ops area but holds no complaint permission code."""
    from django.contrib.auth.models import Permission

    from apps.accounts.models import Role
    from apps.accounts.services import user_create

    from conftest import PASSWORD

    role = Role.objects.create(code="t_ops_only", name="仅业务区", area="ops")
    role.permissions.add(Permission.objects.get(codename="access_ops"))
    return user_create(username="t_ops_only", password=PASSWORD, real_name="无投诉权限", organization=cast.shuyin,
                       roles=[role])


# ---- list ----

def test_list_filters_sorts_and_marks_overdue(cast, as_user, clock_reset):
    slow = file(cast.cm, subject="放款太慢")
    rude = file(cast.cm, subject="服务态度差")
    services.screen(actor=cast.cc, complaint_id=rude.pk, decision="accepted", responsible_kind="cm",
                    responsible_user_id=cast.cm.pk)
    cc = as_user(cast.cc)
    html = page(cc.get("/ops/complaints/"))
    assert slow.number in html and rude.number in html and "受理审核" in html and "核查中" in html
    assert "T_TL" in html and "投诉处理" in html  # the current owner: a person, or a role
    assert html.count("data-countdown=") == 2 and 'data-testid="overdue"' not in html
    html = page(cc.get("/ops/complaints/?q=态度"))
    assert rude.number in html and slow.number not in html
    html = page(cc.get(f"/ops/complaints/?q={slow.number}"))
    assert slow.number in html and rude.number not in html
    html = page(cc.get("/ops/complaints/?status=investigating"))
    assert rude.number in html and slow.number not in html
    html = page(cc.get("/ops/complaints/?sort=number"))
    assert html.index(slow.number) < html.index(rude.number)
    html = page(cc.get("/ops/complaints/?sort=-number"))
    assert html.index(rude.number) < html.index(slow.number)
    clock_reset.shift(timedelta(hours=25))  # screening (24 h) is overdue, investigating (72 h) is not
    html = page(cc.get("/ops/complaints/?overdue=on"))
    assert slow.number in html and rude.number not in html and 'data-testid="overdue"' in html
    # another CM sees neither (not filed by, responsible for or owed by them)
    html = page(as_user(cast.cm2).get("/ops/complaints/"))
    assert slow.number not in html and "暂无投诉记录" in html


def test_list_in_the_institution_area_shows_only_its_own(cast, as_user):
    own = file(cast.a_admin, subject="甲机构的投诉")
    against = file(cast.cm, subject="针对甲机构")
    services.screen(actor=cast.cc, complaint_id=against.pk, decision="accepted", responsible_kind="institution",
                    institution_id=cast.inst_a.pk)
    other = file(cast.b_admin, subject="乙机构的投诉")
    html = page(as_user(cast.a_viewer).get("/inst/complaints/"))
    assert own.number in html and against.number in html and other.number not in html
    assert "甲机构" in html and "T_CC" not in html
    html = page(as_user(cast.b_admin).get("/inst/complaints/"))
    assert other.number in html and own.number not in html and against.number not in html


def _rows(cast, n):
    """n complaints whose current steps have every kind of owner: a role, a person, an institution."""
    for i in range(n):
        c = file(cast.a_admin if i % 2 else cast.cm, subject=f"投诉 {i}")
        if i % 3 == 1:
            services.screen(actor=cast.cc, complaint_id=c.pk, decision="accepted", responsible_kind="cm",
                            responsible_user_id=cast.cm.pk)
        elif i % 3 == 2:
            services.screen(actor=cast.cc, complaint_id=c.pk, decision="accepted", responsible_kind="institution",
                            institution_id=cast.inst_a.pk)


@pytest.mark.parametrize("rows", [3, 12])
def test_list_query_count_is_fixed(cast, as_user, django_assert_num_queries, rows):
    _rows(cast, rows)
    cc, a = as_user(cast.cc), as_user(cast.a_admin)
    cc.get("/ops/complaints/")
    with django_assert_num_queries(3):
        html = page(cc.get("/ops/complaints/?size=50&sort=deadline"))
    assert html.count("data-countdown=") == rows
    a.get("/inst/complaints/")
    with django_assert_num_queries(6):
        html = page(a.get("/inst/complaints/?size=50&q=投诉"))
    assert html.count("data-countdown=") == complaints_for_user(user=cast.a_admin).count() >= rows // 2


def test_list_refused_without_the_code_or_in_the_wrong_area(client, cast, as_user, ops_without_complaints):
    assert client.get("/ops/complaints/")["Location"].startswith("/ops/login/")
    assert as_user(ops_without_complaints).get("/ops/complaints/").status_code == 403
    assert as_user(cast.a_admin).get("/ops/complaints/").status_code == 403
    assert as_user(cast.cm).get("/inst/complaints/").status_code == 403


# ---- filing ----

def test_ops_files_for_a_client_with_order_and_attachments(cast, as_user, draft):
    app = draft()
    cm = as_user(cast.cm)
    html = page(cm.get("/ops/complaints/new/"))
    assert "代客户登记" in html and 'type="file"' in html and "multiple" in html
    resp = cm.post("/ops/complaints/new/", form_data(
        on_behalf_of_client="on", order_no=app.order_no,
        attachments=[SimpleUploadedFile("聊天记录.png", PNG), SimpleUploadedFile("通话记录.pdf", PDF)]))
    c = Complaint.objects.get()
    assert resp.status_code == 302 and resp["Location"] == f"/ops/complaints/{c.pk}/"
    assert (c.source, c.application_id, c.status, c.filed_by_id) == ("client", app.pk, S.SCREENING, cast.cm.pk)
    assert sorted(c.attachments.values_list("name", flat=True)) == ["聊天记录.png", "通话记录.pdf"]
    html = page(cm.get(resp["Location"]))
    assert f"已提交投诉 {c.number}" in html and app.order_no in html and "聊天记录.png" in html
    att = c.attachments.get(name="聊天记录.png")
    download = cm.get(f"/ops/complaints/{c.pk}/attachments/{att.pk}/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == PNG
    assert cm.get(f"/ops/complaints/{c.pk}/attachments/999999/").status_code == 404


@pytest.mark.parametrize("data,error", [
    (dict(contact_phone="12345"), "联系方式应为 11 位手机号或带区号的固定电话"),
    (dict(subject=""), "请填写投诉主题。"),
    (dict(content=" "), "请填写投诉内容。"),
    (dict(order_no="SQ-NOT-THERE"), "找不到该贷款申请，请检查单号。"),
    (dict(attachments=[SimpleUploadedFile("a.gif", b"GIF89a" + b"0" * 20)]), "只能上传 PDF、JPG 或 PNG"),
    (dict(attachments=[SimpleUploadedFile(f"{i}.png", PNG) for i in range(6)]), "最多上传 5 个附件"),
])
def test_bad_filing_shows_a_chinese_error_and_creates_nothing(cast, as_user, data, error):
    resp = as_user(cast.cm).post("/ops/complaints/new/", form_data(**data))
    assert resp.status_code == 200 and error in page(resp)
    assert "李女士" in page(resp)  # values kept
    assert not Complaint.objects.exists() and not Attachment.objects.exists()


def test_an_application_of_another_cm_is_not_found(cast, as_user, draft):
    app = draft()
    resp = as_user(cast.cm2).post("/ops/complaints/new/", form_data(order_no=app.order_no))
    assert "找不到该贷款申请" in page(resp) and not Complaint.objects.exists()


def test_institution_files_in_its_own_name(cast, as_user):
    a = as_user(cast.a_admin)
    html = page(a.get("/inst/complaints/new/"))
    assert "代客户登记" not in html and "投诉主题" in html
    resp = a.post("/inst/complaints/new/", form_data(on_behalf_of_client="on"))
    c = Complaint.objects.get()
    assert resp["Location"] == f"/inst/complaints/{c.pk}/"
    assert (c.source, c.filing_institution_id) == ("institution", cast.inst_a.pk)
    assert as_user(cast.a_viewer).get("/inst/complaints/new/").status_code == 403  # read-only operator
    assert as_user(cast.a_viewer).post("/inst/complaints/new/", form_data()).status_code == 403
    assert Complaint.objects.count() == 1


# ---- detail: visibility and who sees which form ----

def test_detail_visibility_by_tenant_and_data_scope(cast, as_user):
    c = file(cast.a_admin, attachments=[SimpleUploadedFile("凭证.png", PNG)])
    att = c.attachments.get()
    for who, area in ((cast.a_admin, "inst"), (cast.a_viewer, "inst"), (cast.cc, "ops")):
        client = as_user(who)
        assert client.get(f"/{area}/complaints/{c.pk}/").status_code == 200
        assert client.get(f"/{area}/complaints/{c.pk}/attachments/{att.pk}/").status_code == 200
    b = as_user(cast.b_admin)
    assert b.get(f"/inst/complaints/{c.pk}/").status_code == 404
    assert b.get(f"/inst/complaints/{c.pk}/attachments/{att.pk}/").status_code == 404
    cm = as_user(cast.cm)  # not involved: no data scope over it
    assert cm.get(f"/ops/complaints/{c.pk}/").status_code == 404
    assert cm.get(f"/ops/complaints/{c.pk}/attachments/{att.pk}/").status_code == 404
    assert as_user(cast.a_admin).get("/inst/complaints/999999/").status_code == 404


def test_only_the_step_owner_sees_a_step_form(cast, as_user):
    c = file(cast.cm)
    assert 'data-testid="step-form"' in page(as_user(cast.cc).get(f"/ops/complaints/{c.pk}/"))
    assert 'data-testid="step-form"' not in page(as_user(cast.cm).get(f"/ops/complaints/{c.pk}/"))
    assert 'data-testid="step-form"' not in page(as_user(cast.bd).get(f"/ops/complaints/{c.pk}/"))
    services.screen(actor=cast.cc, complaint_id=c.pk, decision="accepted", responsible_kind="cm",
                    responsible_user_id=cast.cm.pk)
    assert "核查并作出处理决定" in page(as_user(cast.tl).get(f"/ops/complaints/{c.pk}/"))
    assert 'data-testid="step-form"' not in page(as_user(cast.cc).get(f"/ops/complaints/{c.pk}/"))
    assert 'data-testid="step-form"' not in page(as_user(cast.bd).get(f"/ops/complaints/{c.pk}/"))  # not the leader


# ---- the paths through the forms ----

def test_screening_to_suggestion_and_not_accepted(cast, as_user):
    c = file(cast.cm)
    cc = as_user(cast.cc)
    html = page(cc.get(f"/ops/complaints/{c.pk}/"))
    assert "受理审核" in html and "不属于投诉，按建议处理" in html and "data-confirm" in html
    resp = cc.post(f"/ops/complaints/{c.pk}/screen/", {"decision": "suggestion"})
    assert "请选择转交的部门（角色或组织部门）。" in page(resp) and fresh(c).status == S.SCREENING
    resp = cc.post(f"/ops/complaints/{c.pk}/screen/", {})
    assert "请选择处理结论。" in page(resp) and fresh(c).status == S.SCREENING
    resp = cc.post(f"/ops/complaints/{c.pk}/screen/", {"decision": "suggestion", "forwarded_to": "role:business_dept"},
                   follow=True)
    assert "已按建议处理并转交业务部" in page(resp) and fresh(c).status == S.SUGGESTION
    assert 'data-testid="step-form"' not in page(resp)
    # the filer reads the answer
    html = page(as_user(cast.cm).get(f"/ops/complaints/{c.pk}/"))
    assert "感谢您的宝贵建议" in html and "建议" in html
    # a second click on the old page changes nothing and says why
    resp = cc.post(f"/ops/complaints/{c.pk}/screen/", {"decision": "not_accepted", "reply": "x"}, follow=True)
    assert "可能已被他人处理" in page(resp) and fresh(c).status == S.SUGGESTION

    c2 = file(cast.cm)
    resp = cc.post(f"/ops/complaints/{c2.pk}/screen/", {"decision": "not_accepted"})
    assert "请填写给投诉人的答复。" in page(resp) and fresh(c2).status == S.SCREENING
    cc.post(f"/ops/complaints/{c2.pk}/screen/", {"decision": "not_accepted", "reply": "经核实不属于服务问题"})
    assert fresh(c2).status == S.NOT_ACCEPTED and fresh(c2).reply == "经核实不属于服务问题"


def test_screening_refused_for_other_roles(cast, as_user):
    c = file(cast.cm)
    data = {"decision": "suggestion", "forwarded_to": "role:business_dept"}
    assert as_user(cast.cm).post(f"/ops/complaints/{c.pk}/screen/", data).status_code == 403
    assert as_user(cast.tl).post(f"/ops/complaints/{c.pk}/screen/", data).status_code == 403
    assert as_user(cast.cc).get(f"/ops/complaints/{c.pk}/screen/").status_code == 405
    assert fresh(c).status == S.SCREENING


def test_internal_path_with_two_penalty_confirmations(cast, as_user):
    c = file(cast.cm2, on_behalf_of_client=True)
    cc, tl, cm = as_user(cast.cc), as_user(cast.tl), as_user(cast.cm)
    resp = cc.post(f"/ops/complaints/{c.pk}/screen/", {"decision": "accepted", "responsible_kind": "cm"})
    assert "请选择责任人（数银员工）。" in page(resp) and fresh(c).status == S.SCREENING
    resp = cc.post(f"/ops/complaints/{c.pk}/screen/", {"decision": "accepted", "responsible_kind": "cm",
                                                       "responsible_user": cast.cm.pk}, follow=True)
    assert "已受理，转交T_TL核查" in page(resp)
    assert (fresh(c).status, fresh(c).owner_id) == (S.INVESTIGATING, cast.tl.pk)

    html = page(tl.get(f"/ops/complaints/{c.pk}/"))
    assert "投诉是否成立" in html and f'value="{cast.cm.pk}" selected' in html
    resp = tl.post(f"/ops/complaints/{c.pk}/decide/", {"holds": "1", "decision": "属实，未及时回复客户",
                                                       "responsible_user": cast.cm.pk})
    assert "投诉成立时请填写处罚" in page(resp) and "属实，未及时回复客户" in page(resp)  # values kept
    assert fresh(c).status == S.INVESTIGATING
    assert as_user(cast.bd).post(f"/ops/complaints/{c.pk}/decide/", {
        "holds": "1", "decision": "x", "penalty": "y", "responsible_user": cast.cm.pk}).status_code == 403
    assert cm.post(f"/ops/complaints/{c.pk}/decide/", {"holds": "0", "decision": "x"}).status_code == 403
    resp = tl.post(f"/ops/complaints/{c.pk}/decide/", {"holds": "1", "decision": "属实，未及时回复客户",
                                                       "penalty": "扣减当月绩效", "responsible_user": cast.cm.pk},
                   follow=True)
    assert "已通知责任人确认处罚" in page(resp) and fresh(c).status == S.CONFIRMING

    # the responsible person confirms first, then their superior
    assert 'data-testid="confirm-penalty"' not in page(tl.get(f"/ops/complaints/{c.pk}/"))
    assert tl.post(f"/ops/complaints/{c.pk}/confirm-penalty/").status_code == 403
    html = page(cm.get(f"/ops/complaints/{c.pk}/"))
    assert 'data-testid="confirm-penalty"' in html and "扣减当月绩效" in html and "以责任人身份确认处罚" in html
    resp = cm.post(f"/ops/complaints/{c.pk}/confirm-penalty/", follow=True)
    assert "已确认处罚，待上级确认" in page(resp)
    assert fresh(c).owner_id == cast.tl.pk and fresh(c).responsible_confirmed_at
    html = page(tl.get(f"/ops/complaints/{c.pk}/"))
    assert "以上级身份确认处罚" in html
    resp = tl.post(f"/ops/complaints/{c.pk}/confirm-penalty/", follow=True)
    assert "转投诉处理中心终审" in page(resp) and fresh(c).status == S.FINAL_REVIEW
    resp = tl.post(f"/ops/complaints/{c.pk}/confirm-penalty/", follow=True)  # clicked twice
    assert "可能已被他人处理" in page(resp) and fresh(c).superior_confirmed_by_id == cast.tl.pk

    resp = cc.post(f"/ops/complaints/{c.pk}/final-review/", {"reply": " "})
    assert "请填写给投诉人的答复。" in page(resp) and fresh(c).status == S.FINAL_REVIEW
    assert tl.post(f"/ops/complaints/{c.pk}/final-review/", {"reply": "x"}).status_code == 403
    resp = cc.post(f"/ops/complaints/{c.pk}/final-review/", {"reply": "已致电客户致歉并说明处理结果"}, follow=True)
    html = page(resp)
    assert "投诉已办结" in html and fresh(c).status == S.CLOSED
    for text in ("提交投诉", "核查中", "处罚确认", "责任人已确认处罚", "上级已确认处罚", "终审", "已完成"):
        assert text in html, text


def test_institution_sees_internal_handling_only_as_status_changes(cast, as_user):
    c = file(cast.a_admin)
    services.screen(actor=cast.cc, complaint_id=c.pk, decision="accepted", responsible_kind="cm",
                    responsible_user_id=cast.cm.pk)
    services.decide(actor=cast.tl, complaint_id=c.pk, holds=True, decision="属实", penalty="扣减当月绩效")
    services.confirm_penalty(actor=cast.cm, complaint_id=c.pk)
    html = page(as_user(cast.a_admin).get(f"/inst/complaints/{c.pk}/"))
    assert "处罚确认" in html and "数银" in html
    assert "扣减当月绩效" not in html and "T_CM" not in html and "T_TL" not in html and "T_CC" not in html
    assert "扣减当月绩效" in page(as_user(cast.cc).get(f"/ops/complaints/{c.pk}/"))


def test_institution_path_report_send_back_and_penalty(cast, as_user):
    c = file(cast.cm, on_behalf_of_client=True)
    cc, a = as_user(cast.cc), as_user(cast.a_admin)
    resp = cc.post(f"/ops/complaints/{c.pk}/screen/", {"decision": "accepted", "responsible_kind": "institution"})
    assert "请选择被投诉的合作机构。" in page(resp)
    cc.post(f"/ops/complaints/{c.pk}/screen/", {"decision": "accepted", "responsible_kind": "institution",
                                                "institution": cast.inst_a.pk})
    assert (fresh(c).status, fresh(c).owner_institution_id) == (S.INSTITUTION_HANDLING, cast.inst_a.pk)

    html = page(a.get(f"/inst/complaints/{c.pk}/"))
    assert "1. 与客户达成的处理结果" in html and "2. 机构内部处理情况" in html and "张先生" in html
    assert 'data-testid="step-form"' not in page(as_user(cast.a_viewer).get(f"/inst/complaints/{c.pk}/"))
    assert as_user(cast.a_viewer).post(f"/inst/complaints/{c.pk}/report/", {
        "holds": "1", "holds_reason": "x", "agreement": "x", "internal": "y"}).status_code == 403
    assert as_user(cast.b_admin).post(f"/inst/complaints/{c.pk}/report/", {
        "holds": "1", "holds_reason": "x", "agreement": "x", "internal": "y"}).status_code == 404
    resp = a.post(f"/inst/complaints/{c.pk}/report/", {"agreement": "减免一期利息", "internal": ""})
    assert "请填写机构内部处理情况。" in page(resp) and fresh(c).status == S.INSTITUTION_HANDLING
    assert "请选择投诉是否成立。" in page(resp) and "请填写成立或不成立的理由。" in page(resp)
    assert page(resp).index("核查结论：投诉是否成立") < page(resp).index("1. 与客户达成的处理结果")
    resp = a.post(f"/inst/complaints/{c.pk}/report/", {"holds": "1", "holds_reason": "属实", "agreement": "减免一期利息",
                                                         "internal": "对经办人通报批评"},
                  follow=True)
    assert "已提交处理反馈" in page(resp) and fresh(c).status == S.PLATFORM_CONFIRMING

    html = page(cc.get(f"/ops/complaints/{c.pk}/"))
    assert "确认机构反馈" in html and "对经办人通报批评" in html and "罚款金额（元，可选）" in html
    resp = cc.post(f"/ops/complaints/{c.pk}/platform-confirm/", {"outcome": "send_back", "reply": ""})
    assert "请填写答复内容（退回时为退回原因）" in page(resp) and fresh(c).status == S.PLATFORM_CONFIRMING
    resp = cc.post(f"/ops/complaints/{c.pk}/platform-confirm/", {"outcome": "send_back", "reply": "请补充沟通记录"},
                   follow=True)
    assert "已退回机构补充处理" in page(resp) and fresh(c).status == S.INSTITUTION_HANDLING
    a.post(f"/inst/complaints/{c.pk}/report/", {"holds": "1", "holds_reason": "属实", "agreement": "减免一期利息，附沟通记录",
                                                 "internal": "对经办人通报批评"})

    resp = cc.post(f"/ops/complaints/{c.pk}/platform-confirm/", {"outcome": "accept", "reply": "已答复客户",
                                                                 "penalty_amount": "-5"})
    assert "金额必须大于 0" in page(resp) and fresh(c).status == S.PLATFORM_CONFIRMING
    assert as_user(cast.tl).post(f"/ops/complaints/{c.pk}/platform-confirm/", {
        "outcome": "accept", "reply": "x"}).status_code == 403
    resp = cc.post(f"/ops/complaints/{c.pk}/platform-confirm/", {"outcome": "accept", "reply": "已答复客户",
                                                                 "penalty_amount": "1000"}, follow=True)
    assert "罚款 ¥1,000.00 已提交复核" in page(resp)
    c = fresh(c)
    assert c.status == S.CLOSED and c.penalty_amount == Decimal("1000.00")
    assert c.penalty_approval.kind == Approval.Kind.PENALTY and c.penalty_approval.status == "pending"
    html = page(a.get(f"/inst/complaints/{c.pk}/"))
    assert "已答复客户" in html and "¥1,000.00" in html and 'data-testid="step-form"' not in html


# ---- dashboard ----

def test_dashboard_counts_steps_and_lists_overdue(cast, as_user, clock_reset, django_assert_num_queries):
    late = file(cast.cm)
    clock_reset.shift(timedelta(hours=25))
    fresh_one = file(cast.cm)
    routed = file(cast.cm)
    services.screen(actor=cast.cc, complaint_id=routed.pk, decision="accepted", responsible_kind="institution",
                    institution_id=cast.inst_a.pk)
    cc = as_user(cast.cc)
    cc.get("/ops/complaints/dashboard/")
    with django_assert_num_queries(5):
        html = page(cc.get("/ops/complaints/dashboard/"))
    assert 'data-testid="overdue-count">1<' in html
    table = html[html.index('data-testid="complaints"'):]
    assert late.number in table and fresh_one.number not in table and routed.number not in table
    assert "?status=institution_handling" in html
    assert as_user(cast.cm).get("/ops/complaints/dashboard/").status_code == 403
    assert as_user(cast.bd).get("/ops/complaints/dashboard/").status_code == 403
    assert as_user(cast.a_admin).get("/inst/complaints/dashboard/").status_code == 404


def test_isolation_registry_entries_aim_at_institution_b(cast, as_user):
    """The entries this app gives tests/test_url_isolation.py: A's admin reaches none of B's complaint."""
    from django.urls import reverse

    from apps.complaints.tests.isolation import FOREIGN, b_complaint

    b = b_complaint(cast)
    before = (fresh(b).status, fresh(b).step_no, fresh(b).institution_agreement)
    a = as_user(cast.a_admin)
    for name, kwargs in FOREIGN.items():
        if name.startswith("inst:"):
            url = reverse(name, kwargs=kwargs(cast))
            assert a.get(url).status_code in (404, 405), url
            assert a.post(url, {"agreement": "篡改", "internal": "篡改"}).status_code == 404, url
    assert (fresh(b).status, fresh(b).step_no, fresh(b).institution_agreement) == before
    assert as_user(cast.b_admin).get(f"/inst/complaints/{b.pk}/").status_code == 200


# ---- suggestions go to a department (反馈到相关部门) ----

def test_suggestion_goes_to_a_chosen_department_whose_members_mark_it_handled(cast, as_user):
    from apps.messaging.models import Message

    c = file(cast.cm2, subject="建议增加夜间客服", content="希望晚上也能联系到客服")
    cc = as_user(cast.cc)
    html = page(cc.get(f"/ops/complaints/{c.pk}/"))
    team = cast.cm.organization
    assert f'<option value="unit:{team.pk}">{team.name}</option>' in html and '<option value="role:cs">' in html
    resp = cc.post(f"/ops/complaints/{c.pk}/screen/", {"decision": "suggestion", "forwarded_to": "单位:产品部"})
    assert "请选择转交的部门" in page(resp) and fresh(c).status == S.SCREENING
    resp = cc.post(f"/ops/complaints/{c.pk}/screen/", {"decision": "suggestion", "forwarded_to": f"unit:{team.pk}"},
                   follow=True)
    assert f"已按建议处理并转交{team.name}" in page(resp) and fresh(c).status == S.SUGGESTION
    # the unit's members (and no one else) get the suggestion itself as a message
    got = Message.objects.filter(title__contains=f"客户建议 {c.number}")
    assert set(got.values_list("recipient_id", flat=True)) == {cast.cm.pk, cast.tl.pk}
    assert "希望晚上也能联系到客服" in got.first().body

    url = f"/ops/complaints/{c.pk}/suggestion-handled/"
    assert as_user(cast.cc).post(url, {"handling": "x"}).status_code == 403  # not in the department
    assert as_user(cast.cm2).post(url, {"handling": "x"}).status_code == 403  # the filer is not either
    assert as_user(cast.st).post(url, {"handling": "x"}).status_code == 404  # cannot see it at all
    cm = as_user(cast.cm)
    html = page(cm.get(f"/ops/complaints/{c.pk}/"))
    assert "处理转交的建议" in html and 'data-testid="suggestion-handled"' in html
    resp = cm.post(url, {"handling": " "})
    assert "请填写处理情况。" in page(resp) and fresh(c).suggestion_handled_at is None
    resp = cm.post(url, {"handling": "已排入二组晚班值守"}, follow=True)
    assert "已标记建议为已处理" in page(resp)
    done = fresh(c)
    assert (done.suggestion_handled_by_id, done.suggestion_handling) == (cast.cm.pk, "已排入二组晚班值守")
    resp = as_user(cast.tl).post(url, {"handling": "再次"}, follow=True)  # once: the second says who did it
    assert f"已由 {cast.cm.display_name} 标记为已处理" in page(resp) and fresh(c).suggestion_handling == "已排入二组晚班值守"
    assert "已排入二组晚班值守" in page(cc.get(f"/ops/complaints/{c.pk}/"))


def test_suggestion_to_a_role(cast):
    from apps.messaging.models import Message

    c = file(cast.cm)
    services.screen(actor=cast.cc, complaint_id=c.pk, decision="suggestion", forwarded_to="role:cs")
    assert fresh(c).forwarded_role == "cs" and fresh(c).forwarded_to
    assert list(Message.objects.filter(title__contains=f"客户建议 {c.number}").values_list("recipient_id", flat=True)) \
        == [cast.cs.pk]
    assert complaints_for_user(user=cast.cs).filter(pk=c.pk).exists()
    assert not complaints_for_user(user=cast.lr).filter(pk=c.pk).exists()


# ---- the filer sees the outcome and the reply only ----

def test_the_filer_sees_the_outcome_and_reply_not_the_responsibility_decisions(cast, as_user):
    c = file(cast.cm2, on_behalf_of_client=True)
    services.screen(actor=cast.cc, complaint_id=c.pk, decision="accepted", responsible_kind="cm",
                    responsible_user_id=cast.cm.pk)
    assert cast.tl.display_name not in page(as_user(cast.cm2).get("/ops/complaints/"))  # the reviewer: "数银"
    services.decide(actor=cast.tl, complaint_id=c.pk, holds=True, decision="属实，三天未回复客户", penalty="扣减当月绩效")
    services.confirm_penalty(actor=cast.cm, complaint_id=c.pk)
    services.confirm_penalty(actor=cast.tl, complaint_id=c.pk)
    services.final_review(actor=cast.cc, complaint_id=c.pk, reply="已向客户致歉并指定专人跟进。")
    filer = page(as_user(cast.cm2).get(f"/ops/complaints/{c.pk}/"))
    assert "已向客户致歉并指定专人跟进" in filer and "投诉成立" in filer and 'data-testid="outcome"' in filer
    for internal in ("扣减当月绩效", "三天未回复客户", cast.tl.display_name, "责任方", "责任人"):
        assert internal not in filer, internal
    assert not re.search(rf"{cast.cm.display_name}(?!2)", filer)  # the responsible CM (the filer is T_CM2)
    from apps.messaging.models import Message

    assert Message.objects.filter(recipient=cast.cm2, body="答复：已向客户致歉并指定专人跟进。").exists()
    inside = page(as_user(cast.cc).get(f"/ops/complaints/{c.pk}/"))
    assert "扣减当月绩效" in inside and cast.cm.display_name in inside


def test_a_filing_institution_does_not_see_how_another_institution_was_dealt_with(cast, as_user, fund):
    fund(cast.inst_b, clerk=cast.st, risk="1000")
    c = file(cast.a_admin, subject="同业抢单", content="另一家机构私下联系我行客户")
    services.screen(actor=cast.cc, complaint_id=c.pk, decision="accepted", responsible_kind="institution",
                    institution_id=cast.inst_b.pk)
    services.institution_report(actor=cast.b_admin, complaint_id=c.pk, holds=False, holds_reason="客户主动来电",
                                agreement="已向客户说明", internal="无需处理")
    services.platform_confirm(actor=cast.cc, complaint_id=c.pk, accept=True, reply="经核实为客户主动联系。",
                              penalty_amount="100")
    html = page(as_user(cast.a_admin).get(f"/inst/complaints/{c.pk}/"))
    assert "经核实为客户主动联系" in html and "投诉不成立" in html
    for internal in ("客户主动来电", "无需处理", "100.00", cast.inst_b.name):
        assert internal not in html, internal
