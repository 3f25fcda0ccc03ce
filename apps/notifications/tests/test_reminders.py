"""Deadline reminders (issue 21 §2): each once per (object, kind[, step]), never after the thing was done."""
from datetime import timedelta

import pytest

from apps.complaints import services as complaints
from apps.complaints.models import Complaint
from apps.dispatch import services as dispatch
from apps.dispatch.models import Candidate, Dispatch
from apps.messaging.models import Message
from apps.notifications.models import Delivery, Reminder
from apps.notifications.reminders import reminders_sweep
from apps.settlement.tests.test_settlement import chosen, disburse  # noqa: F401 (a fixture and a helper)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock(clock_reset):
    yield


def test_offer_and_choice_reminders(cast, partners, ready_app, clock_reset, eager,
                                    django_capture_on_commit_callbacks):
    from apps.accounts.models import Organization

    ps = partners(3)
    Organization.objects.filter(pk__in=[p.org.pk for p in ps]).update(follower=cast.of)
    for p in ps:
        p.user.email = f"{p.user.username}@p.example.cn"
        p.user.save(update_fields=["email"])
    app = ready_app()
    d = dispatch.dispatch_start(application_id=app.pk)
    cands = list(Candidate.objects.filter(dispatch=d).order_by("rank"))
    assert len(cands) == 3
    user_of = {p.org.pk: p.user for p in ps}
    dispatch.offer_accept(actor=user_of[cands[0].institution_id], candidate_id=cands[0].pk)  # answered: no reminder
    assert reminders_sweep() == {"offers": 0, "choices": 0, "settlements": 0, "complaints": 0}
    # 4 hours (the parameter) before the offers lapse: the two unanswered ones are reminded, once
    clock_reset.shift(cands[1].deadline - clock_reset.now() - timedelta(hours=3, minutes=50))
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders_sweep()["offers"] == 2
        assert reminders_sweep()["offers"] == 0
    for cand in cands[1:]:
        msg = Message.objects.get(recipient=user_of[cand.institution_id], title__startswith="派单即将超时")
        assert msg.link == f"/inst/dispatch/offers/{cand.pk}/" and "剩余 3 小时 4" in msg.title
    assert not Message.objects.filter(recipient=user_of[cands[0].institution_id], title__startswith="派单即将超时")
    assert Message.objects.filter(recipient=cast.of, title__contains="仍未答复").count() == 2
    # the reminder went out as offer.expiring on the default channel (email; logged: no SMTP configured here)
    assert Delivery.objects.filter(event="offer.expiring", channel="email", status="logged").count() == 2
    assert Reminder.objects.filter(kind="offer.expiring").count() == 2
    # the client's choice: one day before it lapses, to the CM, once
    d.refresh_from_db()
    assert d.choice_deadline
    clock_reset.shift(d.choice_deadline - clock_reset.now() - timedelta(hours=20))
    assert reminders_sweep()["choices"] == 1
    assert reminders_sweep()["choices"] == 0
    msg = Message.objects.get(recipient=cast.cm, title__contains="客户选择将于")
    assert msg.link == f"/ops/dispatch/{app.pk}/choice/"


def test_no_choice_reminder_once_the_client_chose(cast, partners, ready_app, clock_reset):
    ps = partners(1)
    app = ready_app()
    d = dispatch.dispatch_start(application_id=app.pk)
    cand = Candidate.objects.get(dispatch=d)
    dispatch.offer_accept(actor=ps[0].user, candidate_id=cand.pk)
    dispatch.client_choose(actor=cast.cm, application_id=app.pk, candidate_id=cand.pk)
    d.refresh_from_db()
    assert d.status == Dispatch.Status.CHOSEN
    clock_reset.shift(timedelta(days=2, hours=12))
    assert reminders_sweep()["choices"] == 0


def test_settlement_before_its_due_date(cast, chosen, clock_reset):  # noqa: F811 (the imported fixture)
    from apps.settlement import services as settlement
    from apps.settlement.models import Settlement

    partner, case = chosen()
    disburse(partner, case)
    s = Settlement.objects.get(case=case)
    settlement.confirm_amount(actor=cast.fo, settlement_id=s.pk, amount="50000")
    settlement.confirm_client(actor=cast.cm, settlement_id=s.pk)
    settlement.commission_confirm(actor=cast.fo, settlement_id=s.pk)
    s.refresh_from_db()
    assert s.status == Settlement.Status.STATEMENT and s.due_date
    assert reminders_sweep()["settlements"] == 0
    clock_reset.shift(timedelta(days=(s.due_date - clock_reset.today()).days - 1))
    assert reminders_sweep()["settlements"] == 1
    assert reminders_sweep()["settlements"] == 0
    msg = Message.objects.get(recipient=partner.user, title__contains="到期（应付")
    assert s.number in msg.title and msg.link == f"/inst/settlements/{s.pk}/"
    # after the due date the settlement sweep's overdue reminder carries the kind settlement.overdue
    clock_reset.shift(timedelta(days=3))
    assert settlement.settlements_sweep()["reminded"] == 1
    assert reminders_sweep()["settlements"] == 0


def test_complaint_step_before_it_is_overdue(cast, clock_reset):
    c = complaints.complaint_file(actor=cast.cm, subject="放款太慢", content="客户反映等待时间过长",
                                  contact_person="张先生", contact_phone="13800138000", on_behalf_of_client=True)
    assert c.status == Complaint.Status.SCREENING and c.owner_role == "complaint_center"
    clock_reset.shift(c.due_at - clock_reset.now() - timedelta(hours=2))
    assert reminders_sweep()["complaints"] == 1
    assert reminders_sweep()["complaints"] == 0
    msg = Message.objects.get(recipient=cast.cc, title__contains="将于")
    assert c.number in msg.title and msg.link == f"/ops/complaints/{c.pk}/"
    # the step moves on (to institution A): its own reminder before its own deadline, to A's handlers
    from apps.complaints.models import Complaint as C

    complaints.screen(actor=cast.cc, complaint_id=c.pk, decision="accepted", responsible_kind=C.Responsible.INSTITUTION,
                      institution_id=cast.inst_a.pk)
    c.refresh_from_db()
    assert c.owner_institution_id == cast.inst_a.pk and c.due_at
    clock_reset.shift(c.due_at - clock_reset.now() - timedelta(hours=1))
    assert reminders_sweep()["complaints"] == 1
    assert reminders_sweep()["complaints"] == 0
    assert Reminder.objects.filter(kind="complaint.due", object_id=c.pk).count() == 2
    assert Message.objects.filter(link=f"/inst/complaints/{c.pk}/", title__contains="将于").exists()
