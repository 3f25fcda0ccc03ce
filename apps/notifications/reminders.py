"""Deadline reminders (issue 21 §2), swept by beat. Each reminder is a ``Reminder`` row unique per (kind,
object, step): the sweep claims the row and sends the 站内信 (which fans out to the other channels) in one
transaction, after re-reading the object under a lock — so a reminder goes out once, and never after the
thing was done (answered, chosen, paid, moved to the next step).

This module reads the workflow apps (dispatch, settlement, complaints), as reports does; they know nothing of it."""
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.urls import reverse

from apps.common import clock
from apps.common.params import params_get_many
from apps.messaging.services import message_send

from .models import Reminder

BATCH = 500


def _claim(kind: str, object_id: int, due_at, now, step: int = 0) -> bool:
    """Insert the reminder's row; False when it exists (sent before, or by a concurrent sweep)."""
    try:
        with transaction.atomic():
            Reminder.objects.create(kind=kind, object_id=object_id, step=step, due_at=due_at, sent_at=now)
        return True
    except IntegrityError:
        return False


def _pending(qs, kind: str, step_field=None):
    """Rows of ``qs`` without their reminder yet (a NOT EXISTS, so a sweep reads only what is still due)."""
    from django.db.models import Exists, OuterRef

    sent = Reminder.objects.filter(kind=kind, object_id=OuterRef("pk"))
    if step_field:
        sent = sent.filter(step=OuterRef(step_field))
    return qs.filter(~Exists(sent))


def _left(deadline, now) -> str:
    minutes = max(int((deadline - now).total_seconds() // 60), 0)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} 小时 {minutes} 分" if hours else f"{minutes} 分钟"


def offers_remind(now) -> int:
    """An offer still unanswered N hours before it lapses → the institution's answering staff and its 跟单经理."""
    from apps.dispatch.models import Candidate
    from apps.dispatch.services import clock_text, institution_users

    hours = params_get_many(["notifications.offer_remind_hours"])["notifications.offer_remind_hours"]
    C = Candidate.Status
    ids = list(_pending(Candidate.objects.filter(status=C.OFFERED, deadline__gt=now,
                                                 deadline__lte=now + timedelta(hours=hours)), "offer.expiring")
               .values_list("pk", flat=True)[:BATCH])
    sent = 0
    for pk in ids:
        with transaction.atomic():
            cand = (Candidate.objects.select_for_update(of=("self",)).select_related("application__product",
                                                                                       "institution").get(pk=pk))
            if cand.status != C.OFFERED or cand.deadline <= now:
                continue  # answered, withdrawn or lapsed meanwhile
            if not _claim("offer.expiring", cand.pk, cand.deadline, now):
                continue
            app = cand.application
            left = _left(cand.deadline, now)
            message_send(recipients=institution_users(cand.institution_id), category="workflow",
                         event="offer.expiring", link=reverse("inst:offer_detail", kwargs={"pk": cand.pk}),
                         title=f"派单即将超时：{app.product.name} {app.amount:,.2f} 元，剩余 {left}，"
                               f"请于 {clock_text(cand.deadline)} 前受理或拒绝")
            follower = cand.institution.root_follower
            if follower:
                message_send(recipients=[follower], category="workflow", event="offer.expiring",
                             link=reverse("ops:dispatch_record", kwargs={"app_pk": app.pk}),
                             title=f"{cand.institution.name} 的派单 {app.order_no} 剩余 {left} 仍未答复，请跟进")
            sent += 1
    return sent


def choices_remind(now) -> int:
    """The client's choice, one day (a parameter) before it lapses → the CM."""
    from apps.dispatch.models import Dispatch
    from apps.dispatch.services import clock_text

    hours = params_get_many(["notifications.choice_remind_hours"])["notifications.choice_remind_hours"]
    ids = list(_pending(Dispatch.objects.filter(status__in=Dispatch.LIVE, choice_deadline__gt=now,
                                                choice_deadline__lte=now + timedelta(hours=hours)),
                        "choice.expiring").values_list("pk", flat=True)[:BATCH])
    sent = 0
    for pk in ids:
        with transaction.atomic():
            dispatch = Dispatch.objects.select_for_update(of=("self",)).select_related("application").get(pk=pk)
            if dispatch.status not in Dispatch.LIVE or not dispatch.choice_deadline or dispatch.choice_deadline <= now:
                continue
            if not _claim("choice.expiring", dispatch.pk, dispatch.choice_deadline, now):
                continue
            app = dispatch.application
            message_send(recipients=[app.cm_id], category="workflow", event="choice.expiring",
                         link=reverse("ops:dispatch_choice", kwargs={"app_pk": app.pk}),
                         title=f"贷款申请 {app.order_no} 的客户选择将于 {clock_text(dispatch.choice_deadline)} 到期"
                               f"（剩余 {_left(dispatch.choice_deadline, now)}），请尽快录入客户的选择")
            sent += 1
    return sent


def settlements_remind(now) -> int:
    """A statement N days before its due date → the institution's payers (after the due date the settlement
    sweep's overdue reminders, event ``settlement.overdue``, take over)."""
    from apps.dispatch.services import institution_users
    from apps.settlement.models import Settlement

    days = params_get_many(["notifications.settlement_remind_days"])["notifications.settlement_remind_days"]
    today = clock.local_date(now)
    S = Settlement.Status
    ids = list(_pending(Settlement.objects.filter(status=S.STATEMENT, due_date__gte=today,
                                                  due_date__lte=today + timedelta(days=days)), "settlement.due")
               .values_list("pk", flat=True)[:BATCH])
    sent = 0
    for pk in ids:
        with transaction.atomic():
            s = Settlement.objects.select_for_update(of=("self",)).get(pk=pk)
            if s.status != S.STATEMENT or s.due_date < today:
                continue  # paid meanwhile
            if not _claim("settlement.due", s.pk, now, now):
                continue
            when = "今天" if s.due_date == today else f"{s.due_date:%Y-%m-%d}"
            message_send(recipients=institution_users(s.institution_id, codename="pay_settlement"),
                         category="workflow", event="settlement.due",
                         link=reverse("inst:settlement_detail", kwargs={"pk": s.pk}),
                         title=f"结算单 {s.number} 将于{when}到期（应付 {s.total:,.2f} 元），请按期付款")
            sent += 1
    return sent


def complaints_remind(now) -> int:
    """A complaint step N hours before it is overdue → whoever must act on it (once per step)."""
    from apps.complaints.models import Complaint
    from apps.complaints.services import owners

    hours = params_get_many(["notifications.complaint_remind_hours"])["notifications.complaint_remind_hours"]
    rows = list(_pending(Complaint.objects.exclude(status__in=Complaint.FINAL).filter(
        due_at__gt=now, due_at__lte=now + timedelta(hours=hours)), "complaint.due", step_field="step_no")
        .values_list("pk", "step_no")[:BATCH])
    sent = 0
    for pk, step_no in rows:
        with transaction.atomic():
            c = Complaint.objects.select_for_update(of=("self",)).get(pk=pk)
            if c.status in Complaint.FINAL or c.step_no != step_no or not c.due_at or c.due_at <= now:
                continue  # the step moved on or is already overdue (the complaint sweep's reminders take over)
            if not _claim("complaint.due", c.pk, c.due_at, now, step=step_no):
                continue
            area = "inst" if c.owner_institution_id else "ops"
            message_send(recipients=owners(c), category="complaint", event="complaint.due",
                         link=reverse(f"{area}:complaint_detail", kwargs={"pk": c.pk}),
                         title=f"投诉 {c.number} 的“{c.get_status_display()}”将于 {_left(c.due_at, now)}后超时，请及时处理")
            sent += 1
    return sent


def reminders_sweep(*, now=None) -> dict:
    now = now or clock.now()
    return {"offers": offers_remind(now), "choices": choices_remind(now), "settlements": settlements_remind(now),
            "complaints": complaints_remind(now)}
