"""客户移交: a customer manager asks for a client that another CM registered (registration refuses the second
registration of an ID number, and the client is outside the asking CM's scope). The owning CM or their team leader
(客户组长) approves or declines; approved, the client (会员) and their open applications move to the requester, closed
applications stay with the CM who handled them (their record and statistics). Every step is a row (Handover, and a
StatusChange on each moved application) and a message."""
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.common import clock
from apps.common.validators import validate_resident_id
from apps.members.models import Member
from apps.messaging.services import message_send

from .models import FINAL, Application, Handover, StatusChange


def handover_approvers(cm: User) -> list[int]:
    """Who may decide on handing over a client of ``cm``: the CM, their direct superior and the team leaders
    (客户组长) of their unit or the units above it."""
    units = [int(p) for p in cm.organization.path.strip("/").split("/") if p]
    leaders = User.objects.filter(is_active=True, organization_id__in=units, roles__code="cm_leader",
                                  roles__organization__isnull=True, roles__is_active=True)
    ids = {cm.pk, *leaders.values_list("pk", flat=True)}
    if cm.superior_id and cm.superior.is_active:
        ids.add(cm.superior_id)
    return sorted(ids)


def handovers_for_user(*, user) -> QuerySet:
    """The requests the user made and those they may decide on (as the owning CM or a team leader above them)."""
    qs = Handover.objects.select_related("member", "from_cm", "to_cm", "decided_by")
    if user.organization is None or user.organization.is_institution:
        return qs.none()
    mine = Q(to_cm=user) | Q(from_cm=user) | Q(from_cm__superior=user)
    if user.roles.filter(code="cm_leader", organization__isnull=True, is_active=True).exists():
        mine |= Q(from_cm__organization__path__startswith=user.organization.path)
    return qs.filter(mine)


def handover_get_for_user(*, user, pk: int) -> Handover:
    return get_object_or_404(handovers_for_user(user=user), pk=pk)


def handover_request(*, actor, id_number: str, reason: str) -> Handover:
    if not actor.has_perm("applications.request_handover"):
        raise PermissionDenied("applications.request_handover")
    if not reason.strip():
        raise ValidationError(_("请填写申请理由（如：客户要求改由您服务）。"))
    number = validate_resident_id(id_number)
    with transaction.atomic():
        member = Member.objects.select_related("registered_by__organization").filter(id_number=number).first()
        if member is None:
            raise ValidationError(_("没有找到该身份证号的客户，请直接登记。"))
        owner = member.registered_by
        if owner.pk == actor.pk:
            raise ValidationError(_("该客户已由您登记，请在会员查询中找到并使用该客户。"))
        try:
            with transaction.atomic():
                h = Handover.objects.create(member=member, from_cm=owner, to_cm=actor, reason=reason.strip()[:300],
                                            requested_at=clock.now())
        except IntegrityError:
            raise ValidationError(_("您已申请移交该客户，请等待审批。")) from None
        message_send(recipients=handover_approvers(owner), category="workflow", sender=actor,
                     link=reverse("ops:handover_list"),
                     title=f"{actor.display_name} 申请移交客户 {member.real_name[:1]}**（{owner.display_name} 登记）",
                     body=f"申请理由：{h.reason}")
        return h


def handover_decide(*, actor, handover_id: int, approve: bool, note: str = "") -> Handover:
    """1. lock the request, then the member, then the member's open applications (id order);
    2. check it is pending and the actor is among the approvers;
    3. approved: the member and the open applications of the owning CM move to the requester, each application
       gets a history row; 4. message the requester (and the owner when a leader decided)."""
    if not actor.has_perm("applications.decide_handover"):
        raise PermissionDenied("applications.decide_handover")
    if not approve and not note.strip():
        raise ValidationError(_("拒绝时请填写原因。"))
    now = clock.now()
    with transaction.atomic():
        if not handovers_for_user(user=actor).filter(pk=handover_id).exists():
            raise Http404
        h = Handover.objects.select_for_update().select_related("member", "from_cm", "to_cm").get(pk=handover_id)
        if h.status != Handover.Status.PENDING:
            raise ValidationError(_("该申请已处理（%(s)s），请刷新页面。") % {"s": h.get_status_display()})
        if actor.pk not in handover_approvers(h.from_cm):
            raise PermissionDenied("not an approver")
        h.status = Handover.Status.APPROVED if approve else Handover.Status.DECLINED
        h.decided_by, h.decided_at, h.decision_note = actor, now, note.strip()[:300]
        name = f"{h.member.real_name[:1]}**"
        if approve:
            member = Member.objects.select_for_update().get(pk=h.member_id)
            if member.registered_by_id != h.from_cm_id:
                raise ValidationError(_("该客户已不再由原客户经理负责，请刷新页面。"))
            member.registered_by, member.organization = h.to_cm, h.to_cm.organization
            member.save(update_fields=["registered_by", "organization", "updated_at"])
            h.applications_moved = _applications_move(h, actor)
        h.save()
        outcome = "已同意" if approve else f"已拒绝：{h.decision_note}"
        text = f"客户 {name} 的移交申请{outcome}"
        if approve:
            text += f"，客户及 {h.applications_moved} 笔办理中的申请已转给您"
        message_send(recipients=[h.to_cm_id], category="workflow", sender=actor, title=text,
                     link=reverse("ops:handover_list"))
        if actor.pk != h.from_cm_id:
            message_send(recipients=[h.from_cm_id], category="workflow", sender=actor,
                         title=f"{actor.display_name}{outcome[:3]}将您的客户 {name} 移交给 {h.to_cm.display_name}",
                         link=reverse("ops:handover_list"))
        return h


def _applications_move(h: Handover, actor) -> int:
    """The member's open applications handled by the owning CM follow the client (the new CM must be able to
    resubmit, withdraw or confirm them); closed ones stay as they were."""
    apps = list(Application.objects.select_for_update().filter(member_id=h.member_id, cm_id=h.from_cm_id)
                .exclude(status__in=FINAL).order_by("pk"))
    for app in apps:
        app.cm, app.organization = h.to_cm, h.to_cm.organization
        app.save(update_fields=["cm", "organization", "updated_at"])
        StatusChange.objects.create(application=app, from_status=app.status, to_status=app.status, actor=actor,
                                    comment=f"客户移交：由 {h.from_cm.display_name} 转给 {h.to_cm.display_name}"[:500])
    return len(apps)
