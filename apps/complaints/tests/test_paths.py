"""Every path of the 投诉反馈通道 chart through the services, with refusals, deadlines and escalation."""
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from apps.complaints import services
from apps.complaints.models import Complaint, ComplaintLog
from apps.complaints.selectors import complaints_for_user
from apps.messaging.models import Message
from apps.positions import services as ledger
from apps.positions.models import Account, Approval

S = Complaint.Status


@pytest.fixture(autouse=True)
def _clock(clock_reset):
    yield


def file(actor, **kw):
    data = dict(subject="放款太慢", content="客户反映等待时间过长", contact_person="张先生", contact_phone="13800138000")
    return services.complaint_file(actor=actor, **(data | kw))


def test_filing_checks_input_and_numbers(cast):
    with pytest.raises(ValidationError):
        file(cast.cm, contact_phone="12345")
    with pytest.raises(ValidationError):
        file(cast.cm, subject=" ")
    with pytest.raises(PermissionDenied):
        file(cast.a_viewer)
    c1, c2 = file(cast.cm, on_behalf_of_client=True), file(cast.a_admin)
    assert c1.number.startswith("TS") and int(c2.number[-4:]) == int(c1.number[-4:]) + 1
    assert (c1.source, c2.source, c2.filing_institution_id) == ("client", "institution", cast.inst_a.pk)
    assert c1.status == S.SCREENING and c1.owner_role == "complaint_center" and c1.due_at
    assert Message.objects.filter(recipient=cast.cc, title__contains=c1.number).exists()


def test_suggestion_and_not_accepted(cast):
    c = file(cast.cm)
    with pytest.raises(ValidationError):
        services.screen(actor=cast.cc, complaint_id=c.pk, decision="suggestion")
    services.screen(actor=cast.cc, complaint_id=c.pk, decision="suggestion", forwarded_to="role:business_dept")
    c.refresh_from_db()
    assert c.status == S.SUGGESTION and "感谢" in c.reply and c.closed_at
    c2 = file(cast.cm)
    with pytest.raises(PermissionDenied):
        services.screen(actor=cast.cm, complaint_id=c2.pk, decision="not_accepted", reply="x")
    services.screen(actor=cast.cc, complaint_id=c2.pk, decision="not_accepted", reply="经核实不属于服务问题")
    c2.refresh_from_db()
    assert c2.status == S.NOT_ACCEPTED
    with pytest.raises(ValidationError):  # nothing more on a closed complaint
        services.screen(actor=cast.cc, complaint_id=c2.pk, decision="suggestion", forwarded_to="x")


def test_internal_path_with_penalty_two_confirmations(cast):
    c = file(cast.cm2, on_behalf_of_client=True)
    services.screen(actor=cast.cc, complaint_id=c.pk, decision="accepted", responsible_kind="cm",
                    responsible_user_id=cast.cm.pk)
    c.refresh_from_db()
    assert c.status == S.INVESTIGATING and c.owner_id == cast.tl.pk  # the CM's leader reviews
    with pytest.raises(PermissionDenied):
        services.decide(actor=cast.bd, complaint_id=c.pk, holds=True, decision="x", penalty="y")
    with pytest.raises(ValidationError):
        services.decide(actor=cast.tl, complaint_id=c.pk, holds=True, decision="属实", penalty="")
    services.decide(actor=cast.tl, complaint_id=c.pk, holds=True, decision="属实，未及时回复客户", penalty="扣减当月绩效")
    c.refresh_from_db()
    assert c.status == S.CONFIRMING and c.owner_id == cast.cm.pk
    with pytest.raises(PermissionDenied):  # the superior cannot confirm before the responsible person
        services.confirm_penalty(actor=cast.tl, complaint_id=c.pk)
    services.confirm_penalty(actor=cast.cm, complaint_id=c.pk)
    c.refresh_from_db()
    assert c.owner_id == cast.tl.pk and c.status == S.CONFIRMING
    services.confirm_penalty(actor=cast.tl, complaint_id=c.pk)
    c.refresh_from_db()
    assert c.status == S.FINAL_REVIEW and c.owner_role == "complaint_center"
    services.final_review(actor=cast.cc, complaint_id=c.pk, reply="已致电客户致歉并说明处理结果")
    c.refresh_from_db()
    assert c.status == S.CLOSED
    steps = list(ComplaintLog.objects.filter(complaint=c).values_list("to_status", flat=True))
    assert steps == ["screening", "investigating", "confirming", "", "final_review", "closed"]


def test_internal_path_without_penalty(cast):
    c = file(cast.cm)
    services.screen(actor=cast.cc, complaint_id=c.pk, decision="accepted", responsible_kind="lr",
                    responsible_user_id=cast.lr.pk)
    c.refresh_from_db()
    assert c.owner_id == cast.lrs.pk  # the LR's supervisor
    services.decide(actor=cast.lrs, complaint_id=c.pk, holds=False, decision="审核符合规定，投诉不成立")
    c.refresh_from_db()
    assert c.status == S.FINAL_REVIEW
    services.final_review(actor=cast.cc, complaint_id=c.pk, reply="已向客户解释审核要求")
    assert Complaint.objects.get(pk=c.pk).status == S.CLOSED


def test_channel_goes_to_the_order_follower_role(cast):
    c = file(cast.cm)
    services.screen(actor=cast.cc, complaint_id=c.pk, decision="accepted", responsible_kind="channel")
    c.refresh_from_db()
    assert c.owner_id is None and c.owner_role == "of"
    services.decide(actor=cast.of, complaint_id=c.pk, holds=False, decision="渠道无责")
    assert Complaint.objects.get(pk=c.pk).status == S.FINAL_REVIEW


def test_institution_path_with_penalty_from_risk_margin(cast, fund, books_balance):
    fund(cast.inst_a, clerk=cast.st, risk="5000")
    c = file(cast.cm, on_behalf_of_client=True)
    services.screen(actor=cast.cc, complaint_id=c.pk, decision="accepted", responsible_kind="institution",
                    institution_id=cast.inst_a.pk)
    c.refresh_from_db()
    assert c.status == S.INSTITUTION_HANDLING and c.owner_institution_id == cast.inst_a.pk
    # another institution does not see it at all
    assert not complaints_for_user(user=cast.b_admin).filter(pk=c.pk).exists()
    with pytest.raises(Http404):
        services.institution_report(actor=cast.b_admin, complaint_id=c.pk, holds=True, holds_reason="x", agreement="x",
                                    internal="y")
    with pytest.raises(ValidationError):
        services.institution_report(actor=cast.a_admin, complaint_id=c.pk, holds=True, holds_reason="属实",
                                    agreement="已与客户协商", internal="")
    with pytest.raises(ValidationError, match="请先填写核查结论"):  # whether it holds, and why, comes first
        services.institution_report(actor=cast.a_admin, complaint_id=c.pk, holds=None, holds_reason="",
                                    agreement="减免一期利息", internal="对经办人通报批评")
    services.institution_report(actor=cast.a_admin, complaint_id=c.pk, holds=True,
                                holds_reason="经调取录音，经办人确有搭售行为", agreement="减免一期利息",
                                internal="对经办人通报批评")
    assert (Complaint.objects.get(pk=c.pk).holds, Complaint.objects.get(pk=c.pk).holds_reason) == (
        True, "经调取录音，经办人确有搭售行为")
    services.platform_confirm(actor=cast.cc, complaint_id=c.pk, accept=False, reply="请补充与客户沟通记录")
    c.refresh_from_db()
    assert c.status == S.INSTITUTION_HANDLING
    services.institution_report(actor=cast.a_admin, complaint_id=c.pk, holds=True, holds_reason="属实",
                                agreement="减免一期利息，附沟通记录", internal="对经办人通报批评")
    services.platform_confirm(actor=cast.cc, complaint_id=c.pk, accept=True, reply="已答复客户", penalty_amount="1000")
    c.refresh_from_db()
    assert c.status == S.CLOSED and c.penalty_approval.kind == Approval.Kind.PENALTY
    risk = Account.objects.get(owner=cast.inst_a, kind="risk")
    assert risk.balance == Decimal("5000.00")  # nothing moves before the second person approves
    with pytest.raises(ValidationError):
        ledger.approval_decide(approval_id=c.penalty_approval_id, user=cast.cc, approve=True)  # not the requester
    ledger.approval_decide(approval_id=c.penalty_approval_id, user=cast.bd, approve=True)
    risk.refresh_from_db()
    assert risk.balance == Decimal("4000.00")
    assert Account.objects.get(owner=None, kind="penalty").balance == Decimal("1000.00")
    books_balance()


def test_overdue_steps_remind_then_escalate_once(cast, clock_reset):
    c = file(cast.cm)
    services.screen(actor=cast.cc, complaint_id=c.pk, decision="accepted", responsible_kind="cm",
                    responsible_user_id=cast.cm.pk)
    assert services.complaints_sweep() == {"reminded": 0, "escalated": 0}
    clock_reset.shift(timedelta(hours=73))
    assert services.complaints_sweep() == {"reminded": 1, "escalated": 0}
    assert services.complaints_sweep() == {"reminded": 0, "escalated": 0}
    assert Message.objects.filter(recipient=cast.tl, title__contains="超时").count() == 1
    clock_reset.shift(timedelta(hours=24))
    assert services.complaints_sweep() == {"reminded": 0, "escalated": 1}
    assert services.complaints_sweep() == {"reminded": 0, "escalated": 0}
    # the next step starts its own clock and reminders
    services.decide(actor=cast.tl, complaint_id=c.pk, holds=False, decision="不成立")
    assert services.complaints_sweep() == {"reminded": 0, "escalated": 0}
    clock_reset.shift(timedelta(hours=25))
    assert services.complaints_sweep()["reminded"] == 1


def test_visibility(cast):
    c = file(cast.cm)
    assert complaints_for_user(user=cast.cm).filter(pk=c.pk).exists()
    assert not complaints_for_user(user=cast.cm2).filter(pk=c.pk).exists()
    assert complaints_for_user(user=cast.cc).filter(pk=c.pk).exists()
    assert not complaints_for_user(user=cast.a_admin).filter(pk=c.pk).exists()
    own = file(cast.a_admin)
    assert complaints_for_user(user=cast.a_viewer).filter(pk=own.pk).exists()
    assert not complaints_for_user(user=cast.b_admin).filter(pk=own.pk).exists()
