"""Every write of the complaint channel (投诉反馈通道). Each service locks the complaint, checks that the actor
owns the current step, moves the status (django-fsm), writes the log, sets the next step's owner and
deadline (system parameters) and messages the next owner. ``complaints_sweep`` reminds and escalates
overdue steps, once per step and level."""
import re
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from apps.accounts.models import Organization, User
from apps.applications.selectors import application_list_for_user
from apps.common import clock
from apps.common.db import daily_sequence_next
from apps.common.files import private_save
from apps.common.money import to_money
from apps.common.params import params_get_many
from apps.dispatch.models import Candidate
from apps.dispatch.services import institution_users
from apps.messaging.services import message_send
from apps.positions import services as ledger
from apps.positions.models import Account, Approval

from .departments import department_members, department_resolve
from .models import Attachment, Complaint, ComplaintLog
from .selectors import complaints_for_user

S = Complaint.Status
R = Complaint.Responsible
PHONE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")
STEP_HOURS = {S.SCREENING: "screening", S.INVESTIGATING: "investigating", S.CONFIRMING: "confirming",
              S.FINAL_REVIEW: "final_review", S.INSTITUTION_HANDLING: "institution_handling",
              S.PLATFORM_CONFIRMING: "platform_confirming"}


def _role_users(code: str):
    return list(User.objects.filter(is_active=True, roles__code=code, roles__organization__isnull=True,
                                    roles__is_active=True).values_list("pk", flat=True).distinct())


def owners(c: Complaint) -> list[int]:
    """Who must act on the current step."""
    if c.owner_id:
        return [c.owner_id]
    if c.owner_institution_id:
        return list(institution_users(c.owner_institution_id, codename="handle_institution_complaint"))
    if c.owner_role:
        return _role_users(c.owner_role)
    return []


def _step(c: Complaint, now, *, owner=None, role: str = "", institution=None) -> None:
    """Start the next step: a new step number (so reminders of the last one stop), owner and deadline."""
    c.step_no += 1
    c.owner, c.owner_role, c.owner_institution = owner, role, institution
    c.reminder_level = 0
    key = STEP_HOURS.get(c.status)
    c.due_at = now + timedelta(hours=params_get_many([f"complaints.hours.{key}"])[f"complaints.hours.{key}"]) \
        if key else None


def _move(c: Complaint, method: str, actor, text: str, now) -> None:
    old = c.status
    getattr(c, method)()
    if c.status in Complaint.FINAL:
        c.closed_at = now
    ComplaintLog.objects.create(complaint=c, at=now, actor=actor, from_status=old, to_status=c.status, text=text[:500])


def _notify_owner(c: Complaint, title: str) -> None:
    message_send(recipients=owners(c), category="complaint", link=f"/{_area_of_owner(c)}/complaints/{c.pk}/",
                 title=f"投诉 {c.number}：{title}")


def _area_of_owner(c: Complaint) -> str:
    return "inst" if c.owner_institution_id else "ops"


def _notify_filer(c: Complaint, title: str) -> None:
    """The filer hears the outcome and the reply (never the internal decisions)."""
    area = "inst" if c.source == Complaint.Source.INSTITUTION else "ops"
    message_send(recipients=[c.filed_by_id], category="complaint", link=f"/{area}/complaints/{c.pk}/",
                 title=f"投诉 {c.number}：{title}", body=f"答复：{c.reply}" if c.reply else "")


def _lock(actor, complaint_id: int) -> Complaint:
    if complaints_for_user(user=actor).filter(pk=complaint_id).values("pk").first() is None:
        raise Http404
    return Complaint.objects.select_for_update().get(pk=complaint_id)


def _expect(c: Complaint, status: str, label: str) -> None:
    if c.status != status:
        raise ValidationError(f"投诉当前状态为“{c.get_status_display()}”，不能{label}（可能已被他人处理），请刷新页面。")


def _owns_step(actor, c: Complaint) -> bool:
    if c.owner_id:
        return c.owner_id == actor.pk
    if c.owner_institution_id:
        return actor.organization_id and actor.organization.root_id == c.owner_institution_id
    return bool(c.owner_role) and actor.roles.filter(code=c.owner_role, organization__isnull=True,
                                                     is_active=True).exists()


# ---- filing ----

def complaint_file(*, actor, subject: str, content: str, contact_person: str, contact_phone: str,
                   on_behalf_of_client: bool = False, application_id: int | None = None, attachments=()) -> Complaint:
    if not actor.has_perm("complaints.file_complaint"):
        raise PermissionDenied("complaints.file_complaint")
    subject, content = subject.strip(), content.strip()
    if not subject or not content:
        raise ValidationError("请填写投诉主题和投诉内容。")
    if not contact_person.strip():
        raise ValidationError("请填写联系人。")
    if not PHONE.match(contact_phone.strip()):
        raise ValidationError("联系方式应为 11 位手机号或带区号的固定电话。")
    org = actor.organization
    institution_filer = org is not None and org.is_institution
    application = None
    if application_id:
        if institution_filer:  # only a case dispatched to this institution
            ok = Candidate.objects.filter(application_id=application_id, institution_id=org.root_id).exists()
            application = application_id if ok else None
        else:
            application = application_list_for_user(user=actor).filter(pk=application_id).values_list(
                "pk", flat=True).first()
        if application is None:
            raise ValidationError("找不到该贷款申请，请检查单号。")
    now = clock.now()
    with transaction.atomic():
        day = timezone.localdate(now)
        c = Complaint(number=f"TS{day:%Y%m%d}{daily_sequence_next('complaints_dailynumber', day):04d}",
                      subject=subject[:100], content=content[:3000], contact_person=contact_person.strip()[:50],
                      contact_phone=contact_phone.strip(), filed_by=actor, application_id=application,
                      source=Complaint.Source.INSTITUTION if institution_filer else (
                          Complaint.Source.CLIENT if on_behalf_of_client else Complaint.Source.STAFF),
                      filing_institution_id=org.root_id if institution_filer else None)
        c.step_no = 0
        _step(c, now, role="complaint_center")
        c.save()
        for upload in attachments:
            path = private_save(upload, folder=f"complaints/{c.pk}")
            Attachment.objects.create(complaint=c, name=upload.name[:100], path=path, size=upload.size,
                                      uploaded_by=actor)
        ComplaintLog.objects.create(complaint=c, at=now, actor=actor, to_status=c.status,
                                    text=f"提交投诉（{c.get_source_display()}）")
        _notify_owner(c, f"新投诉待受理审核：{c.subject}")
        return c


# ---- the complaint centre screens ----

def screen(*, actor, complaint_id: int, decision: str, reply: str = "", forwarded_to: str = "",
           responsible_kind: str = "", responsible_user_id: int | None = None,
           institution_id: int | None = None) -> Complaint:
    """Suggestion (thanked, forwarded), not accepted (answered), or accepted and routed by who is responsible."""
    if not actor.has_perm("complaints.handle_complaint"):
        raise PermissionDenied("complaints.handle_complaint")
    now = clock.now()
    with transaction.atomic():
        c = _lock(actor, complaint_id)
        _expect(c, S.SCREENING, "受理审核")
        if decision == "suggestion":
            _suggestion_forward(c, actor, department=forwarded_to, reply=reply, now=now)
            return c
        if decision == "not_accepted":
            if not reply.strip():
                raise ValidationError("请填写给投诉人的答复。")
            c.reply = reply.strip()[:2000]
            _move(c, "not_accept", actor, f"不予受理：{c.reply}", now)
            _step(c, now)
            c.save()
            _notify_filer(c, "不予受理，已答复")
            return c
        if decision != "accepted":
            raise ValidationError("请选择处理结论。")
        if responsible_kind == R.INSTITUTION:
            inst = Organization.objects.filter(pk=institution_id, kind=Organization.Kind.INSTITUTION,
                                               parent__isnull=True).first()
            if inst is None:
                raise ValidationError("请选择被投诉的合作机构。")
            c.responsible_kind, c.institution = R.INSTITUTION, inst
            _move(c, "accept_institution", actor, f"受理，责任方为机构：{inst.name}，转机构处理", now)
            _step(c, now, institution=inst)
            c.save()
            _notify_owner(c, "被投诉，请核实处理并反馈（与客户的处理结果、内部处理情况）")
            return c
        if responsible_kind not in Complaint.REVIEWER_ROLE:
            raise ValidationError("请选择责任方。")
        person = None
        if responsible_kind != R.CHANNEL or responsible_user_id:
            person = User.objects.filter(pk=responsible_user_id, is_active=True, organization__kind="platform").first()
            if person is None:
                raise ValidationError("请选择责任人（数银员工）。")
        role = Complaint.REVIEWER_ROLE[responsible_kind]
        reviewer = person.superior if person and person.superior_id and person.superior.roles.filter(
            code=role).exists() else None
        c.responsible_kind, c.responsible_user = responsible_kind, person
        _move(c, "accept_internal", actor, f"受理，责任方：{R(responsible_kind).label}"
              + (f"（{person.display_name}）" if person else "") + "，转责任部门核查", now)
        _step(c, now, owner=reviewer, role="" if reviewer else role)
        c.save()
        _notify_owner(c, "请核查投诉是否成立、责任人及处罚")
        return c


# ---- suggestions (反馈到相关部门) ----

def _suggestion_forward(c: Complaint, actor, *, department: str, reply: str, now) -> None:
    """Record a suggestion, thank the filer, and send it to the chosen department's members as a message."""
    role, unit, label = department_resolve(department)
    members = department_members(role=role, unit_id=unit.pk if unit else None)
    if not members:
        raise ValidationError(f"“{label}”目前没有在职人员，请选择其他部门。")
    c.forwarded_to, c.forwarded_role, c.forwarded_unit = label[:50], role, unit
    c.reply = reply.strip()[:2000] or f"感谢您的宝贵建议，我们已转交{label}研究改进。"
    _move(c, "to_suggestion", actor, f"不属于投诉，按建议处理，转交{label}", now)
    _step(c, now)
    c.save()
    _notify_filer(c, "已按建议处理，感谢您的反馈")
    message_send(recipients=members, category="complaint", link=f"/ops/complaints/{c.pk}/", sender=actor,
                 title=f"客户建议 {c.number}：{c.subject}（请处理后标记已处理）",
                 body=f"投诉处理中心转交{label}的建议：\n{c.content}")


def suggestion_department_members(c: Complaint) -> list[int]:
    return department_members(role=c.forwarded_role, unit_id=c.forwarded_unit_id)


def suggestion_mark_handled(*, actor, complaint_id: int, handling: str) -> Complaint:
    """A member of the department the suggestion went to records what was done with it; once."""
    if not handling.strip():
        raise ValidationError("请填写处理情况。")
    now = clock.now()
    with transaction.atomic():
        c = _lock(actor, complaint_id)
        _expect(c, S.SUGGESTION, "标记建议已处理")
        if actor.pk not in suggestion_department_members(c):
            raise PermissionDenied("not in the department")
        if c.suggestion_handled_at is not None:
            raise ValidationError(f"该建议已由 {c.suggestion_handled_by.display_name} 标记为已处理，请刷新页面。")
        c.suggestion_handled_by, c.suggestion_handled_at = actor, now
        c.suggestion_handling = handling.strip()[:500]
        c.save(update_fields=["suggestion_handled_by", "suggestion_handled_at", "suggestion_handling", "updated_at"])
        ComplaintLog.objects.create(complaint=c, at=now, actor=actor,
                                    text=f"{c.forwarded_to}已处理建议：{c.suggestion_handling}"[:500])
        return c


# ---- internal path ----

def decide(*, actor, complaint_id: int, holds: bool, decision: str, penalty: str = "",
           responsible_user_id: int | None = None) -> Complaint:
    if not actor.has_perm("complaints.review_complaint"):
        raise PermissionDenied("complaints.review_complaint")
    if not decision.strip():
        raise ValidationError("请填写核查结论与处理决定。")
    now = clock.now()
    with transaction.atomic():
        c = _lock(actor, complaint_id)
        _expect(c, S.INVESTIGATING, "作出处理决定")
        if not _owns_step(actor, c):
            raise PermissionDenied("not the reviewer")
        c.holds, c.decision = holds, decision.strip()[:500]
        if not holds:
            _move(c, "to_final_review", actor, f"投诉不成立：{c.decision}", now)
            _step(c, now, role="complaint_center")
            c.save()
            _notify_owner(c, "核查完成（不成立），待终审答复")
            return c
        person = User.objects.filter(pk=responsible_user_id or c.responsible_user_id, is_active=True,
                                     organization__kind="platform").first()
        if person is None:
            raise ValidationError("投诉成立时请指定责任人。")
        if not penalty.strip():
            raise ValidationError("投诉成立时请填写处罚（如：通报批评、扣减绩效）。")
        c.responsible_user, c.penalty = person, penalty.strip()[:300]
        _move(c, "to_confirming", actor, f"投诉成立，责任人 {person.display_name}，处罚：{c.penalty}", now)
        _step(c, now, owner=person)
        c.save()
        _notify_owner(c, f"投诉成立，请确认处罚：{c.penalty}")
        return c


def confirm_penalty(*, actor, complaint_id: int) -> Complaint:
    """处罚确认: the responsible person first, then their direct superior (without one: 业务部)."""
    now = clock.now()
    with transaction.atomic():
        c = _lock(actor, complaint_id)
        _expect(c, S.CONFIRMING, "确认处罚")
        if not _owns_step(actor, c):
            raise PermissionDenied("not the confirming person")
        if c.responsible_confirmed_at is None:
            c.responsible_confirmed_at = now
            ComplaintLog.objects.create(complaint=c, at=now, actor=actor, text="责任人已确认处罚")
            superior = c.responsible_user.superior if c.responsible_user.superior_id else None
            _step(c, now, owner=superior, role="" if superior else "business_dept")
            c.save()
            _notify_owner(c, f"请作为上级确认对 {c.responsible_user.display_name} 的处罚：{c.penalty}")
            return c
        c.superior_confirmed_by, c.superior_confirmed_at = actor, now
        _move(c, "to_final_review", actor, "上级已确认处罚", now)
        _step(c, now, role="complaint_center")
        c.save()
        _notify_owner(c, "处罚已确认，待终审答复")
        return c


def final_review(*, actor, complaint_id: int, reply: str) -> Complaint:
    """The complaint centre's final review: it has contacted the client and records the reply; done."""
    if not actor.has_perm("complaints.handle_complaint"):
        raise PermissionDenied("complaints.handle_complaint")
    if not reply.strip():
        raise ValidationError("请填写给投诉人的答复。")
    now = clock.now()
    with transaction.atomic():
        c = _lock(actor, complaint_id)
        _expect(c, S.FINAL_REVIEW, "终审")
        c.reply = reply.strip()[:2000]
        _move(c, "close", actor, f"终审完成并答复：{c.reply}", now)
        _step(c, now)
        c.save()
        _notify_filer(c, "已处理完成并答复")
        return c


# ---- institution path ----

def institution_report(*, actor, complaint_id: int, holds: bool | None, holds_reason: str, agreement: str,
                       internal: str) -> Complaint:
    """机构核查 → 投诉是否成立 (with its reasons) → 机构处理 → the two feedback parts, in the chart's order."""
    if not actor.has_perm("complaints.handle_institution_complaint"):
        raise PermissionDenied("complaints.handle_institution_complaint")
    if holds is None or not holds_reason.strip():
        raise ValidationError("请先填写核查结论：投诉是否成立，以及成立或不成立的理由。")
    if not agreement.strip() or not internal.strip():
        raise ValidationError("请填写两部分反馈：1. 与客户达成的处理结果；2. 机构内部处理情况。")
    now = clock.now()
    with transaction.atomic():
        c = _lock(actor, complaint_id)
        _expect(c, S.INSTITUTION_HANDLING, "反馈处理结果")
        if not _owns_step(actor, c):
            raise Http404
        c.holds, c.holds_reason = holds, holds_reason.strip()[:1000]
        c.institution_agreement, c.institution_internal = agreement.strip()[:2000], internal.strip()[:2000]
        _move(c, "institution_report", actor, f"机构核查：投诉{'成立' if holds else '不成立'}，已反馈处理结果", now)
        _step(c, now, role="complaint_center")
        c.save()
        _notify_owner(c, "机构已反馈处理结果，请确认并答复客户")
        return c


def platform_confirm(*, actor, complaint_id: int, accept: bool, reply: str = "", penalty_amount=None) -> Complaint:
    """数银 confirms the institution's report and answers the client — or sends it back. A penalty on the
    institution is requested from its risk margin; a second person approves it in the finance desk."""
    if not actor.has_perm("complaints.handle_complaint"):
        raise PermissionDenied("complaints.handle_complaint")
    if not reply.strip():
        raise ValidationError("请填写答复内容（退回时为退回原因）。")
    now = clock.now()
    with transaction.atomic():
        c = _lock(actor, complaint_id)
        _expect(c, S.PLATFORM_CONFIRMING, "确认机构反馈")
        if not accept:
            _move(c, "send_back", actor, f"退回机构补充处理：{reply.strip()}", now)
            _step(c, now, institution=c.institution)
            c.save()
            _notify_owner(c, f"反馈被退回，请补充处理：{reply.strip()}")
            return c
        if penalty_amount not in (None, ""):
            amount = to_money(penalty_amount)
            if amount <= 0:
                raise ValidationError("罚款金额必须大于 0。")
            c.penalty_amount = amount
            c.penalty_approval = ledger.approval_request(
                kind=Approval.Kind.PENALTY, institution=c.institution, account_kind=Account.Kind.RISK, amount=amount,
                reason=f"投诉 {c.number} 罚款", user=actor)
        c.reply = reply.strip()[:2000]
        text = f"数银确认机构反馈并答复客户：{c.reply}"
        if c.penalty_amount:
            text += f"；罚款 {c.penalty_amount:,.2f} 元待复核后从风险保证金扣除"
        _move(c, "close", actor, text, now)
        _step(c, now)
        c.save()
        _notify_filer(c, "已处理完成并答复")
        message_send(recipients=institution_users(c.institution_id, codename="handle_institution_complaint"),
                     category="complaint", link=f"/inst/complaints/{c.pk}/",
                     title=f"投诉 {c.number} 已办结" + (f"，罚款 {c.penalty_amount:,.2f} 元待复核" if c.penalty_amount else ""))
        return c


# ---- deadlines ----

def complaints_sweep(*, now=None) -> dict:
    """Overdue steps: level 1 reminds the owner; level 2 (escalate hours later) tells the owner's superior
    (or, for a role or an institution, 投诉处理中心 and 业务部). Exactly once per step and level: the
    reminder is claimed by a compare-and-set on (step_no, reminder_level)."""
    now = now or clock.now()
    escalate = timedelta(hours=params_get_many(["complaints.hours.escalate"])["complaints.hours.escalate"])
    fired = {"reminded": 0, "escalated": 0}
    open_q = ~Q(status__in=Complaint.FINAL)
    for level, cutoff, key in ((1, now, "reminded"), (2, now - escalate, "escalated")):
        rows = list(Complaint.objects.filter(open_q, due_at__lt=cutoff, reminder_level=level - 1)
                    .values_list("pk", "step_no")[:500])
        for pk, step_no in rows:
            with transaction.atomic():
                if not Complaint.objects.filter(pk=pk, step_no=step_no, reminder_level=level - 1).update(
                        reminder_level=level):
                    continue
                c = Complaint.objects.get(pk=pk)
                _remind(c, level, now)
                fired[key] += 1
    return fired


def _remind(c: Complaint, level: int, now) -> None:
    hours = int((now - c.due_at).total_seconds() // 3600)
    step = c.get_status_display()
    if level == 1:
        _notify_owner(c, f"“{step}”已超时 {hours} 小时，请尽快处理")
    else:
        people = owners(c)
        superiors = list(User.objects.filter(pk__in=people, superior__isnull=False).values_list("superior_id",
                                                                                               flat=True))
        if not superiors or c.owner_institution_id or c.owner_role:
            superiors += _role_users("complaint_center") + _role_users("business_dept")
        message_send(recipients=superiors, category="complaint", link=f"/ops/complaints/{c.pk}/",
                     title=f"【升级】投诉 {c.number} 的“{step}”已超时 {hours} 小时仍未处理")
    ComplaintLog.objects.create(complaint=c, at=now, text=f"“{step}”超时提醒（第 {level} 级）")
