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
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _, gettext_lazy

from apps.accounts.models import Organization, User
from apps.applications.selectors import application_list_for_user
from apps.common import clock
from apps.common.db import daily_sequence_next
from apps.common.files import private_save
from apps.common.money import to_money
from apps.common.params import params_get_many
from apps.common.transitions import LogTable, Notice, Workflow
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


def complaint_link(c: Complaint, area: str) -> str:
    return reverse(f"{area}:complaint_detail", args=[c.pk])


def _owner_notice(title: str) -> Notice:
    """The current step's owners hear what they must do (in their own area)."""
    return Notice(to=owners, category="complaint", link=lambda c: complaint_link(c, _area_of_owner(c)),
                  title=lambda c: _("投诉 %(no)s：%(t)s") % {"no": c.number, "t": title})


def _filer_notice(title: str) -> Notice:
    """The filer hears the outcome and the reply (never the internal decisions)."""
    return Notice(to=lambda c: [c.filed_by_id], category="complaint",
                  link=lambda c: complaint_link(c, "inst" if c.source == Complaint.Source.INSTITUTION else "ops"),
                  title=lambda c: _("投诉 %(no)s：%(t)s") % {"no": c.number, "t": title},
                  body=lambda c: _("答复：%(r)s") % {"r": c.reply} if c.reply else "")


def _notify_owner(c: Complaint, title: str) -> None:
    _owner_notice(title).send(message_send, c, None)


def _area_of_owner(c: Complaint) -> str:
    return "inst" if c.owner_institution_id else "ops"


def _lock(actor, complaint_id: int) -> Complaint:
    if complaints_for_user(user=actor).filter(pk=complaint_id).values("pk").first() is None:
        raise Http404
    return Complaint.objects.select_for_update().get(pk=complaint_id)


COMPLAINT_LOG = LogTable(ComplaintLog, "complaint", still_status=False)
COMPLAINTS: Workflow[Complaint] = Workflow(
    lock=_lock, log=COMPLAINT_LOG, send=message_send,
    refused=gettext_lazy("投诉当前状态为“%(status)s”，不能%(label)s（可能已被他人处理），请刷新页面。"))


def _go(*, actor, complaint_id: int, perm: str | None, label: str, method=None, expect=None, check=None,
        text="", next_step=None, notify=()) -> Complaint:
    """One complaint step through the kernel; after the move, ``next_step(c)`` (the arguments of ``_step``:
    the next owner) starts the next step with its deadline, and a final status closes the complaint."""
    now = clock.now()

    def then(c):
        if c.status in Complaint.FINAL and c.closed_at is None:
            c.closed_at = now
        if next_step is not None:
            _step(c, now, **next_step(c))

    return COMPLAINTS.run(actor=actor, pk=complaint_id, perm=perm, label=label, method=method, expect=expect,
                          check=check, text=text, then=then, notify=notify)


def _owns_step(actor, c: Complaint) -> bool:
    if c.owner_id:
        return c.owner_id == actor.pk
    if c.owner_institution_id:
        return actor.organization_id and actor.organization.root_id == c.owner_institution_id
    return bool(c.owner_role) and actor.roles.filter(code=c.owner_role, organization__isnull=True,
                                                     is_active=True).exists()


def _owner_check(actor, refuse=PermissionDenied):
    def check(c):
        if not _owns_step(actor, c):
            raise refuse("not the step's owner")
    return check


# every step of a complaint: the states it is taken in and the code it needs
STEPS = {
    "screen": ([S.SCREENING], "complaints.handle_complaint"),
    "final_review": ([S.FINAL_REVIEW], "complaints.handle_complaint"),
    "platform_confirm": ([S.PLATFORM_CONFIRMING], "complaints.handle_complaint"),
    "decide": ([S.INVESTIGATING], "complaints.review_complaint"),
    "confirm_penalty": ([S.CONFIRMING], "complaints.view_complaint"),
    "report": ([S.INSTITUTION_HANDLING], "complaints.handle_institution_complaint"),
    "suggestion_handled": ([S.SUGGESTION], "complaints.view_complaint"),
}
OWNED = {"decide", "confirm_penalty", "report"}


def steps_open(*, user, c: Complaint) -> set[str]:
    """The step forms ``user`` may use now: the complaint's state, the step's code, and who the step is for (its
    owners; a suggestion's department). The services enforce the same rules."""
    in_institution = bool(user.organization_id and user.organization.is_institution)

    def who(c, user, name):
        if name == "suggestion_handled":
            return c.suggestion_handled_at is None and not in_institution \
                and user.pk in suggestion_department_members(c)
        if (name == "report") != in_institution:
            return False
        return name not in OWNED or user.pk in owners(c)

    return set(COMPLAINTS.allowed(c, user, STEPS, who=who))


# ---- filing ----

def complaint_file(*, actor, subject: str, content: str, contact_person: str, contact_phone: str,
                   on_behalf_of_client: bool = False, application_id: int | None = None, attachments=()) -> Complaint:
    if not actor.has_perm("complaints.file_complaint"):
        raise PermissionDenied("complaints.file_complaint")
    subject, content = subject.strip(), content.strip()
    if not subject or not content:
        raise ValidationError(_("请填写投诉主题和投诉内容。"))
    if not contact_person.strip():
        raise ValidationError(_("请填写联系人。"))
    if not PHONE.match(contact_phone.strip()):
        raise ValidationError(_("联系方式应为 11 位手机号或带区号的固定电话。"))
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
            raise ValidationError(_("找不到该贷款申请，请检查单号。"))
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
        COMPLAINT_LOG.write(c, at=now, actor=actor, to_status=c.status,
                            text=_("提交投诉（%(source)s）") % {"source": c.get_source_display()})
        _notify_owner(c, _("新投诉待受理审核：%(s)s") % {"s": c.subject})
        return c


# ---- the complaint centre screens ----

def screen(*, actor, complaint_id: int, decision: str, reply: str = "", forwarded_to: str = "",
           responsible_kind: str = "", responsible_user_id: int | None = None,
           institution_id: int | None = None) -> Complaint:
    """受理审核 by its decision: a suggestion (thanked, forwarded), not accepted (answered), or accepted and routed
    by who is responsible — each decision is its own service below."""
    if decision == "suggestion":
        return screen_suggestion(actor=actor, complaint_id=complaint_id, department=forwarded_to, reply=reply)
    if decision == "not_accepted":
        return screen_not_accepted(actor=actor, complaint_id=complaint_id, reply=reply)
    if decision != "accepted":
        raise ValidationError(_("请选择处理结论。"))
    if responsible_kind == R.INSTITUTION:
        return screen_accept_institution(actor=actor, complaint_id=complaint_id, institution_id=institution_id)
    return screen_accept_internal(actor=actor, complaint_id=complaint_id, responsible_kind=responsible_kind,
                                  responsible_user_id=responsible_user_id)


def _screening(**kw) -> Complaint:
    return _go(perm="complaints.handle_complaint", label=_("受理审核"), **kw)


def screen_not_accepted(*, actor, complaint_id: int, reply: str) -> Complaint:
    """Not accepted: the filer is answered and the complaint ends."""
    def check(c):
        if not reply.strip():
            raise ValidationError(_("请填写给投诉人的答复。"))
        c.reply = reply.strip()[:2000]
        return _("不予受理：%(r)s") % {"r": c.reply}

    return _screening(actor=actor, complaint_id=complaint_id, method="not_accept", check=check,
                      next_step=lambda c: {}, notify=[_filer_notice(_("不予受理，已答复"))])


def screen_accept_institution(*, actor, complaint_id: int, institution_id: int | None) -> Complaint:
    """Accepted against a partner institution: it verifies and reports back."""
    def check(c):
        inst = Organization.objects.filter(pk=institution_id, kind=Organization.Kind.INSTITUTION,
                                           parent__isnull=True).first()
        if inst is None:
            raise ValidationError(_("请选择被投诉的合作机构。"))
        c.responsible_kind, c.institution = R.INSTITUTION, inst
        return _("受理，责任方为机构：%(inst)s，转机构处理") % {"inst": inst.name}

    return _screening(actor=actor, complaint_id=complaint_id, method="accept_institution", check=check,
                      next_step=lambda c: {"institution": c.institution},
                      notify=[_owner_notice(_("被投诉，请核实处理并反馈（与客户的处理结果、内部处理情况）"))])


def screen_accept_internal(*, actor, complaint_id: int, responsible_kind: str,
                           responsible_user_id: int | None) -> Complaint:
    """Accepted against 数银's own staff: the responsible person's superior (in the reviewing role) or the role
    reviewing that kind of responsibility checks it."""
    def check(c):
        if responsible_kind not in Complaint.REVIEWER_ROLE:
            raise ValidationError(_("请选择责任方。"))
        person = None
        if responsible_kind != R.CHANNEL or responsible_user_id:
            person = User.objects.filter(pk=responsible_user_id, is_active=True, organization__kind="platform").first()
            if person is None:
                raise ValidationError(_("请选择责任人（数银员工）。"))
        c.responsible_kind, c.responsible_user = responsible_kind, person
        return _("受理，责任方：%(kind)s%(who)s，转责任部门核查") % {
            "kind": R(responsible_kind).label, "who": _("（%(n)s）") % {"n": person.display_name} if person else ""}

    def next_owner(c):
        role = Complaint.REVIEWER_ROLE[c.responsible_kind]
        person = c.responsible_user
        reviewer = person.superior if person and person.superior_id and person.superior.roles.filter(
            code=role).exists() else None
        return {"owner": reviewer, "role": "" if reviewer else role}

    return _screening(actor=actor, complaint_id=complaint_id, method="accept_internal", check=check,
                      next_step=next_owner, notify=[_owner_notice(_("请核查投诉是否成立、责任人及处罚"))])


# ---- suggestions (反馈到相关部门) ----

def screen_suggestion(*, actor, complaint_id: int, department: str, reply: str = "") -> Complaint:
    """Not a complaint: record a suggestion, thank the filer, and send it to the chosen department's members as a
    message (one of them marks it handled)."""
    sent = {}

    def check(c):
        role, unit, label = department_resolve(department)
        members = department_members(role=role, unit_id=unit.pk if unit else None)
        if not members:
            raise ValidationError(_("“%(d)s”目前没有在职人员，请选择其他部门。") % {"d": label})
        sent["members"], sent["label"] = members, label
        c.forwarded_to, c.forwarded_role, c.forwarded_unit = label[:50], role, unit
        c.reply = reply.strip()[:2000] or _("感谢您的宝贵建议，我们已转交%(d)s研究改进。") % {"d": label}
        return _("不属于投诉，按建议处理，转交%(d)s") % {"d": label}

    department_notice = Notice(
        to=lambda c: sent["members"], category="complaint", link=lambda c: complaint_link(c, "ops"), from_actor=True,
        title=lambda c: _("客户建议 %(no)s：%(s)s（请处理后标记已处理）") % {"no": c.number, "s": c.subject},
        body=lambda c: _("投诉处理中心转交%(d)s的建议：\n%(content)s") % {"d": sent["label"], "content": c.content})
    return _screening(actor=actor, complaint_id=complaint_id, method="to_suggestion", check=check,
                      next_step=lambda c: {},
                      notify=[_filer_notice(_("已按建议处理，感谢您的反馈")), department_notice])


def suggestion_department_members(c: Complaint) -> list[int]:
    return department_members(role=c.forwarded_role, unit_id=c.forwarded_unit_id)


def suggestion_mark_handled(*, actor, complaint_id: int, handling: str) -> Complaint:
    """A member of the department the suggestion went to records what was done with it; once."""
    if not handling.strip():
        raise ValidationError(_("请填写处理情况。"))

    def check(c):
        if actor.pk not in suggestion_department_members(c):
            raise PermissionDenied("not in the department")
        if c.suggestion_handled_at is not None:
            raise ValidationError(_("该建议已由 %(who)s 标记为已处理，请刷新页面。")
                                  % {"who": c.suggestion_handled_by.display_name})
        c.suggestion_handled_by, c.suggestion_handled_at = actor, clock.now()
        c.suggestion_handling = handling.strip()[:500]
        return _("%(d)s已处理建议：%(h)s") % {"d": c.forwarded_to, "h": c.suggestion_handling}

    return _go(actor=actor, complaint_id=complaint_id, perm=None, label=_("标记建议已处理"), expect=[S.SUGGESTION],
               check=check)


# ---- internal path ----

def decide(*, actor, complaint_id: int, holds: bool, decision: str, penalty: str = "",
           responsible_user_id: int | None = None) -> Complaint:
    if not decision.strip():
        raise ValidationError(_("请填写核查结论与处理决定。"))
    owns = _owner_check(actor)

    def check(c):
        owns(c)
        c.holds, c.decision = holds, decision.strip()[:500]
        if not holds:
            return _("投诉不成立：%(d)s") % {"d": c.decision}
        person = User.objects.filter(pk=responsible_user_id or c.responsible_user_id, is_active=True,
                                     organization__kind="platform").first()
        if person is None:
            raise ValidationError(_("投诉成立时请指定责任人。"))
        if not penalty.strip():
            raise ValidationError(_("投诉成立时请填写处罚（如：通报批评、扣减绩效）。"))
        c.responsible_user, c.penalty = person, penalty.strip()[:300]
        return _("投诉成立，责任人 %(who)s，处罚：%(p)s") % {"who": person.display_name, "p": c.penalty}

    if not holds:
        return _go(actor=actor, complaint_id=complaint_id, perm="complaints.review_complaint",
                   label=_("作出处理决定"), method="to_final_review", check=check,
                   next_step=lambda c: {"role": "complaint_center"},
                   notify=[_owner_notice(_("核查完成（不成立），待终审答复"))])
    return _go(actor=actor, complaint_id=complaint_id, perm="complaints.review_complaint", label=_("作出处理决定"),
               method="to_confirming", check=check, next_step=lambda c: {"owner": c.responsible_user},
               notify=lambda c: [_owner_notice(_("投诉成立，请确认处罚：%(p)s") % {"p": c.penalty})])


def confirm_penalty(*, actor, complaint_id: int) -> Complaint:
    """处罚确认: the responsible person first, then their direct superior (without one: 业务部)."""
    owns = _owner_check(actor)
    first = {}

    def which(c):
        first["yes"] = c.responsible_confirmed_at is None
        return None if first["yes"] else "to_final_review"

    def check(c):
        owns(c)
        if first["yes"]:
            c.responsible_confirmed_at = clock.now()
            return _("责任人已确认处罚")
        c.superior_confirmed_by, c.superior_confirmed_at = actor, clock.now()
        return _("上级已确认处罚")

    def next_owner(c):
        if not first["yes"]:
            return {"role": "complaint_center"}
        superior = c.responsible_user.superior if c.responsible_user.superior_id else None
        return {"owner": superior, "role": "" if superior else "business_dept"}

    def notices(c):
        if first["yes"]:
            return [_owner_notice(_("请作为上级确认对 %(who)s 的处罚：%(p)s") % {
                "who": c.responsible_user.display_name, "p": c.penalty})]
        return [_owner_notice(_("处罚已确认，待终审答复"))]

    return _go(actor=actor, complaint_id=complaint_id, perm=None, label=_("确认处罚"), method=which,
               expect=[S.CONFIRMING], check=check, next_step=next_owner, notify=notices)


def final_review(*, actor, complaint_id: int, reply: str) -> Complaint:
    """The complaint centre's final review: it has contacted the client and records the reply; done."""
    if not reply.strip():
        raise ValidationError(_("请填写给投诉人的答复。"))

    def check(c):
        c.reply = reply.strip()[:2000]
        return _("终审完成并答复：%(r)s") % {"r": c.reply}

    return _go(actor=actor, complaint_id=complaint_id, perm="complaints.handle_complaint", label=_("终审"),
               method="close", expect=[S.FINAL_REVIEW], check=check, next_step=lambda c: {},
               notify=[_filer_notice(_("已处理完成并答复"))])


# ---- institution path ----

def institution_report(*, actor, complaint_id: int, holds: bool | None, holds_reason: str, agreement: str,
                       internal: str) -> Complaint:
    """机构核查 → 投诉是否成立 (with its reasons) → 机构处理 → the two feedback parts, in the chart's order."""
    if holds is None or not holds_reason.strip():
        raise ValidationError(_("请先填写核查结论：投诉是否成立，以及成立或不成立的理由。"))
    if not agreement.strip() or not internal.strip():
        raise ValidationError(_("请填写两部分反馈：1. 与客户达成的处理结果；2. 机构内部处理情况。"))
    owns = _owner_check(actor, refuse=Http404)  # another institution's complaint is not found

    def check(c):
        owns(c)
        c.holds, c.holds_reason = holds, holds_reason.strip()[:1000]
        c.institution_agreement, c.institution_internal = agreement.strip()[:2000], internal.strip()[:2000]
        return _("机构核查：投诉%(h)s，已反馈处理结果") % {"h": _("成立") if holds else _("不成立")}

    return _go(actor=actor, complaint_id=complaint_id, perm="complaints.handle_institution_complaint",
               label=_("反馈处理结果"), method="institution_report", check=check,
               next_step=lambda c: {"role": "complaint_center"},
               notify=[_owner_notice(_("机构已反馈处理结果，请确认并答复客户"))])


def platform_confirm(*, actor, complaint_id: int, accept: bool, reply: str = "", penalty_amount=None) -> Complaint:
    """数银 confirms the institution's report and answers the client — or sends it back. A penalty on the
    institution is requested from its risk margin; a second person approves it in the finance desk."""
    if not reply.strip():
        raise ValidationError(_("请填写答复内容（退回时为退回原因）。"))
    reply = reply.strip()
    if not accept:
        return _go(actor=actor, complaint_id=complaint_id, perm="complaints.handle_complaint",
                   label=_("确认机构反馈"), method="send_back", expect=[S.PLATFORM_CONFIRMING],
                   text=_("退回机构补充处理：%(r)s") % {"r": reply}, next_step=lambda c: {"institution": c.institution},
                   notify=[_owner_notice(_("反馈被退回，请补充处理：%(r)s") % {"r": reply})])

    def check(c):
        if penalty_amount not in (None, ""):
            amount = to_money(penalty_amount)
            if amount <= 0:
                raise ValidationError(_("罚款金额必须大于 0。"))
            c.penalty_amount = amount
            c.penalty_approval = ledger.approval_request(
                kind=Approval.Kind.PENALTY, institution=c.institution, account_kind=Account.Kind.RISK, amount=amount,
                reason=_("投诉 %(no)s 罚款") % {"no": c.number}, user=actor)
        c.reply = reply[:2000]
        text = _("数银确认机构反馈并答复客户：%(r)s") % {"r": c.reply}
        if c.penalty_amount:
            text += _("；罚款 %(a)s 元待复核后从风险保证金扣除") % {"a": f"{c.penalty_amount:,.2f}"}
        return text

    institution_told = Notice(
        to=lambda c: institution_users(c.institution_id, codename="handle_institution_complaint"),
        category="complaint", link=lambda c: complaint_link(c, "inst"),
        title=lambda c: _("投诉 %(no)s 已办结") % {"no": c.number}
        + (_("，罚款 %(a)s 元待复核") % {"a": f"{c.penalty_amount:,.2f}"} if c.penalty_amount else ""))
    return _go(actor=actor, complaint_id=complaint_id, perm="complaints.handle_complaint", label=_("确认机构反馈"),
               method="close", expect=[S.PLATFORM_CONFIRMING], check=check, next_step=lambda c: {},
               notify=[_filer_notice(_("已处理完成并答复")), institution_told])


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
        _notify_owner(c, _("“%(step)s”已超时 %(h)s 小时，请尽快处理") % {"step": step, "h": hours})
    else:
        people = owners(c)
        superiors = list(User.objects.filter(pk__in=people, superior__isnull=False).values_list("superior_id",
                                                                                               flat=True))
        if not superiors or c.owner_institution_id or c.owner_role:
            superiors += _role_users("complaint_center") + _role_users("business_dept")
        message_send(recipients=superiors, category="complaint", link=complaint_link(c, "ops"),
                     title=_("【升级】投诉 %(no)s 的“%(step)s”已超时 %(h)s 小时仍未处理") % {
                         "no": c.number, "step": step, "h": hours})
    COMPLAINT_LOG.write(c, at=now, text=_("“%(step)s”超时提醒（第 %(l)s 级）") % {"step": step, "l": level})
