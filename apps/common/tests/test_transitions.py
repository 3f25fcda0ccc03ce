"""The transition kernel (apps.common.transitions) on a real workflow row (a complaint) and real PostgreSQL:
a step changes everything or nothing, a refused permission or state changes nothing, the after-commit work runs
only once the outermost transaction has committed, and the steps offered are the state machine's."""
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404

from apps.common.transitions import LogTable, Notice, Workflow
from apps.complaints import services as complaints
from apps.complaints.models import Complaint, ComplaintLog
from apps.complaints.selectors import complaints_for_user
from apps.messaging.models import Message
from apps.messaging.services import message_send
from apps.settlement.models import SettlementLog

S = Complaint.Status


def _lock(actor, pk):
    if not complaints_for_user(user=actor).filter(pk=pk).exists():
        raise Http404
    return Complaint.objects.select_for_update().get(pk=pk)


class BrokenLog(LogTable):
    def write(self, row, **kw):
        super().write(row, **kw)  # the row is written, then the table refuses: the whole step must roll back
        raise IntegrityError("log table refused the row")


def flow(log=None) -> Workflow:
    return Workflow(lock=_lock, log=log or LogTable(ComplaintLog, "complaint"), send=message_send,
                    refused="投诉当前状态为“%(status)s”，不能%(label)s，请刷新页面。")


def _complaint(cast) -> Complaint:
    return complaints.complaint_file(actor=cast.cm, subject="放款太慢", content="等待时间过长", contact_person="张先生",
                                     contact_phone="13800138000")


def _not_accept(workflow, actor, c, done=None, **kw):
    return workflow.run(actor=actor, pk=c.pk, perm="complaints.handle_complaint", method="not_accept",
                        label="不予受理", text="不予受理：重复投诉",
                        notify=[Notice(to=lambda row: [row.filed_by_id], title="投诉已答复", link="/x/")],
                        on_commit=[done] if done else [], **kw)


def _unchanged(c, logs: int, messages: int):
    c.refresh_from_db()
    assert c.status == S.SCREENING
    assert ComplaintLog.objects.filter(complaint=c).count() == logs
    assert Message.objects.filter(recipient_id=c.filed_by_id).count() == messages


def test_a_step_moves_logs_and_messages(cast, django_capture_on_commit_callbacks):
    c = _complaint(cast)
    ran = []
    with django_capture_on_commit_callbacks(execute=True):
        row = _not_accept(flow(), cast.cc, c, done=lambda row: ran.append(row.status))
    assert row.status == S.NOT_ACCEPTED and ran == [S.NOT_ACCEPTED]
    log = ComplaintLog.objects.filter(complaint=c).last()
    assert (log.actor, log.from_status, log.to_status, log.text) == (cast.cc, S.SCREENING, S.NOT_ACCEPTED,
                                                                       "不予受理：重复投诉")
    assert Message.objects.filter(recipient=cast.cm, title="投诉已答复", sender__isnull=True).exists()


def test_rollback_when_the_log_write_fails(cast, django_capture_on_commit_callbacks):
    c = _complaint(cast)
    logs, messages = ComplaintLog.objects.filter(complaint=c).count(), Message.objects.filter(recipient=cast.cm).count()
    ran = []
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(IntegrityError):
        _not_accept(flow(BrokenLog(ComplaintLog, "complaint")), cast.cc, c, done=ran.append)
    assert callbacks == [] and ran == []
    _unchanged(c, logs, messages)


def test_permission_refused_changes_nothing(cast):
    c = _complaint(cast)
    logs, messages = ComplaintLog.objects.filter(complaint=c).count(), Message.objects.filter(recipient=cast.cm).count()
    with pytest.raises(PermissionDenied):
        _not_accept(flow(), cast.cm, c)  # the CM filed it and sees it, but does not hold the code
    _unchanged(c, logs, messages)
    with pytest.raises(Http404):  # another tenant: not found, before any permission is looked at
        _not_accept(flow(), cast.b_admin, c)
    _unchanged(c, logs, messages)


def test_a_state_the_machine_refuses_changes_nothing(cast):
    c = _complaint(cast)
    _not_accept(flow(), cast.cc, c)
    logs = ComplaintLog.objects.filter(complaint=c).count()
    with pytest.raises(ValidationError) as refused:  # the loser of a race: already answered
        _not_accept(flow(), cast.cc, c)
    assert refused.value.messages == ["投诉当前状态为“不予受理”，不能不予受理，请刷新页面。"]
    with pytest.raises(ValidationError):
        flow().run(actor=cast.cc, pk=c.pk, perm=None, label="补充说明", expect=[S.SCREENING], text="x")
    assert ComplaintLog.objects.filter(complaint=c).count() == logs


def test_a_check_refusing_under_the_lock_changes_nothing(cast):
    c = _complaint(cast)
    logs, messages = ComplaintLog.objects.filter(complaint=c).count(), Message.objects.filter(recipient=cast.cm).count()

    def check(row):
        row.reply = "已答复"
        raise ValidationError("请先联系客户。")

    with pytest.raises(ValidationError):
        _not_accept(flow(), cast.cc, c, check=check)
    _unchanged(c, logs, messages)
    assert Complaint.objects.get(pk=c.pk).reply == ""


@pytest.mark.django_db(transaction=True)
def test_on_commit_work_runs_only_after_the_commit(cast):
    c, ran = _complaint(cast), []
    with transaction.atomic():  # a caller's transaction around the step: the work waits for its commit
        _not_accept(flow(), cast.cc, c, done=lambda row: ran.append(Complaint.objects.get(pk=row.pk).status))
        assert ran == []
    assert ran == [S.NOT_ACCEPTED]  # and, run after the commit, it sees the committed row

    c2, ran2 = _complaint(cast), []
    with pytest.raises(RuntimeError), transaction.atomic():
        _not_accept(flow(), cast.cc, c2, done=ran2.append)
        raise RuntimeError("the caller fails after the step")
    assert ran2 == []
    assert Complaint.objects.get(pk=c2.pk).status == S.SCREENING


def test_steps_offered_are_the_state_machines(cast):
    c = _complaint(cast)
    steps = {"not_accept": ("not_accept", "complaints.handle_complaint"),
             "report": ("institution_report", "complaints.handle_institution_complaint")}
    assert flow().allowed(c, cast.cc, steps) == ["not_accept"]  # the report's transition is not open
    assert flow().allowed(c, cast.cm, steps) == []  # no code
    assert flow().allowed(c, cast.cc, steps, who=lambda row, user, name: False) == []


def test_one_writer_fills_the_columns_each_table_has(cast):
    c = _complaint(cast)
    entry = LogTable(ComplaintLog, "complaint").write(c, actor=cast.cc, text="x" * 600, from_status="a",
                                                      to_status="b")
    assert (len(entry.text), entry.from_status, entry.to_status, entry.at is not None) == (500, "a", "b", True)
    shape = LogTable(SettlementLog, "settlement")._shape
    assert shape == (300, False, True)  # no status pair there: write() leaves it out


def test_declared_hooks_run_for_every_move_and_every_log_row(cast):
    """What a workflow declares once (a webhook event per move, one per log row) runs for every step."""
    c = _complaint(cast)
    moves, rows = [], []
    log = LogTable(ComplaintLog, "complaint", written=lambda owner: rows.append(owner.pk))
    workflow = Workflow(lock=_lock, log=log, send=message_send, refused="%(status)s%(label)s",
                        on_move=lambda row, old: moves.append((old, row.status)))
    _not_accept(workflow, cast.cc, c)
    assert moves == [(S.SCREENING, S.NOT_ACCEPTED)] and rows == [c.pk]
    workflow.run(actor=cast.cc, pk=c.pk, perm=None, label="备注", expect=[S.NOT_ACCEPTED], text="已电话回访")
    assert moves == [(S.SCREENING, S.NOT_ACCEPTED)] and rows == [c.pk, c.pk]  # a note: logged, no move
