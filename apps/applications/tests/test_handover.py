"""客户移交 (issue 16 §9d): a second CM registering a client another CM registered is offered a hand-over request;
the owning CM or their team leader approves or declines; approved, the client and their open applications move to
the requester (closed ones stay), with history rows and messages. Allowed, wrong-role (403) and out-of-scope (404)."""
import pytest
from django.test import Client

from apps.applications import handover, services
from apps.applications.models import Application, Handover, StatusChange, Status
from apps.members.models import Member
from apps.members.selectors import member_list_for_user
from apps.messaging.models import Message

from tests.fixtures.workflow import png

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_user(login):
    return lambda user: login(user, c=Client())


@pytest.fixture
def cm3(cast):
    from apps.accounts.services import platform_role, user_create

    from conftest import PASSWORD

    return user_create(username="t_cm3", password=PASSWORD, real_name="T_CM3", organization=cast.cm2.organization,
                       roles=[platform_role("cm")])


def test_second_cm_asks_for_the_client_and_the_team_leader_approves(cast, as_user, draft, cm3):
    app = draft()  # cm's client with an open application
    member = app.member
    services.withdraw(actor=cast.cm, application_id=app.pk, comment="客户改期")
    open_app = draft(member=member)
    cm2 = as_user(cast.cm2)
    data = {"real_name": member.real_name, "id_number": member.id_number, "mobile": "13900000001", "address": "x",
            "client_type": "individual", "id_photo_front": png(), "id_photo_back": png()}
    html = cm2.post("/ops/members/new/", data).content.decode()
    assert "该身份证号的客户已由其他客户经理登记" in html and 'data-testid="handover"' in html
    assert Member.objects.count() == 1

    resp = cm2.post("/ops/handovers/new/", {"id_number": member.id_number, "reason": ""})
    assert "请填写申请理由" in resp.content.decode() and not Handover.objects.exists()
    resp = cm2.post("/ops/handovers/new/", {"id_number": member.id_number, "reason": "客户本人要求改由我服务"},
                    follow=True)
    assert f"已向 {cast.cm.display_name} 及其客户组长提交移交申请" in resp.content.decode()
    h = Handover.objects.get()
    assert (h.status, h.from_cm_id, h.to_cm_id) == ("pending", cast.cm.pk, cast.cm2.pk)
    told = set(Message.objects.filter(title__contains="申请移交客户").values_list("recipient_id", flat=True))
    assert told == {cast.cm.pk, cast.tl.pk}
    resp = cm2.post("/ops/handovers/new/", {"id_number": member.id_number, "reason": "再次"})
    assert "您已申请移交该客户，请等待审批" in resp.content.decode() and Handover.objects.count() == 1

    url = f"/ops/handovers/{h.pk}/decide/"
    assert cm2.post(url, {"decision": "approve"}).status_code == 403  # the requester does not decide
    assert as_user(cast.cs).post(url, {"decision": "approve"}).status_code == 403  # wrong role
    assert as_user(cm3).post(url, {"decision": "approve"}).status_code == 404  # not theirs to see
    tl = as_user(cast.tl)
    assert 'data-testid="approve"' in tl.get("/ops/handovers/").content.decode()
    resp = tl.post(url, {"decision": "decline", "note": ""}, follow=True)
    assert "拒绝时请填写原因" in resp.content.decode() and Handover.objects.get().status == "pending"
    resp = tl.post(url, {"decision": "approve", "note": "客户来电确认"}, follow=True)
    assert f"已同意移交：客户及 1 笔办理中的申请已转给 {cast.cm2.display_name}" in resp.content.decode()

    h.refresh_from_db()
    assert (h.status, h.decided_by_id, h.applications_moved) == ("approved", cast.tl.pk, 1)
    member.refresh_from_db()
    assert (member.registered_by_id, member.organization_id) == (cast.cm2.pk, cast.cm2.organization_id)
    moved, kept = Application.objects.get(pk=open_app.pk), Application.objects.get(pk=app.pk)
    assert (moved.cm_id, moved.organization_id, moved.status) == (cast.cm2.pk, cast.cm2.organization_id, Status.DRAFT)
    assert kept.cm_id == cast.cm.pk and kept.status == Status.WITHDRAWN  # closed: stays with who handled it
    assert StatusChange.objects.filter(application=moved, comment__startswith="客户移交：由 T_CM 转给 T_CM2").exists()
    assert member_list_for_user(user=cast.cm2).filter(pk=member.pk).exists()
    assert not member_list_for_user(user=cast.cm).filter(pk=member.pk).exists()
    assert Message.objects.filter(recipient=cast.cm2, title__contains="移交申请已同意").exists()
    assert Message.objects.filter(recipient=cast.cm, title__contains="已同意将您的客户").exists()
    # the new CM can now work the application
    services.application_submit(actor=cast.cm2, application_id=open_app.pk)
    resp = tl.post(url, {"decision": "approve"}, follow=True)
    assert "该申请已处理（已同意），请刷新页面" in resp.content.decode()


def test_owner_declines_and_the_own_client_is_found_in_search(cast, as_user, make_member):
    member = make_member()
    with pytest.raises(Exception, match="已由您登记"):
        handover.handover_request(actor=cast.cm, id_number=member.id_number, reason="x")
    h = handover.handover_request(actor=cast.cm2, id_number=member.id_number, reason="客户要求")
    resp = as_user(cast.cm).post(f"/ops/handovers/{h.pk}/decide/", {"decision": "decline", "note": "客户未提出"},
                                 follow=True)
    assert "已拒绝移交申请" in resp.content.decode()
    h.refresh_from_db()
    assert (h.status, h.decided_by_id, h.decision_note) == ("declined", cast.cm.pk, "客户未提出")
    assert Member.objects.get(pk=member.pk).registered_by_id == cast.cm.pk
    assert Message.objects.filter(recipient=cast.cm2, title__contains="已拒绝：客户未提出").exists()


def test_pages_need_the_codes(cast, as_user):
    cs = as_user(cast.cs)
    assert cs.get("/ops/handovers/").status_code == 403
    assert cs.post("/ops/handovers/new/", {"id_number": "x", "reason": "x"}).status_code == 403
    assert as_user(cast.tl).get("/ops/handovers/new/").status_code == 403  # a leader decides, does not ask
    assert as_user(cast.cm2).get("/ops/handovers/new/").status_code == 200


def test_handover_list_query_count_is_fixed(cast, as_user, make_member, django_assert_num_queries):
    client = as_user(cast.tl)
    for n in (1, 5):
        while Handover.objects.count() < n:
            member = make_member()
            handover.handover_request(actor=cast.cm2, id_number=member.id_number, reason="客户要求")
        client.get("/ops/handovers/")  # warm the per-user caches
        with django_assert_num_queries(QUERIES):
            html = client.get("/ops/handovers/").content.decode()
        assert html.count('data-testid="approve"') == n


QUERIES = 4  # session and user (cached), the count, the page with members and users joined
