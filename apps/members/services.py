from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.urls import reverse

from apps.common.files import private_save
from apps.common.validators import validate_resident_id
from apps.regions.models import Region

from .models import Consent, Member, PiiAccess
from .verification import provider


def birthplace_known(id_number: str) -> bool:
    """An unknown birthplace code is only a warning (old codes were merged or renamed over the years)."""
    return Region.objects.filter(code=id_number[:6]).exists()


def member_register(*, actor, real_name: str, id_number: str, mobile: str, address: str, client_type: str,
                    id_photo_front, id_photo_back) -> Member:
    """A customer manager registers a client. One member per ID number: a returning client is found,
    not registered twice."""
    number = validate_resident_id(id_number)
    existing = Member.objects.filter(id_number=number).first()
    if existing is not None:
        _already_registered(actor, existing)
    front = private_save(id_photo_front, folder="id-photos")
    back = private_save(id_photo_back, folder="id-photos")
    try:
        with transaction.atomic():
            return Member.objects.create(
                real_name=real_name, id_number=number, mobile=mobile, address=address, client_type=client_type,
                birth_date=date(int(number[6:10]), int(number[10:12]), int(number[12:14])),
                id_photo_front=front, id_photo_back=back, birthplace_known=birthplace_known(number),
                registered_by=actor, organization=actor.organization)
    except IntegrityError:
        _already_registered(actor, Member.objects.get(id_number=number))


def _already_registered(actor, existing: Member):
    """One member per ID number. The CM's own client is found in search; another CM's client is outside their
    scope, so the way on is a hand-over request (applications.handover), which the page offers."""
    if existing.registered_by_id == actor.pk:
        raise ValidationError(_("该身份证号的客户已由您登记，请在会员查询中找到并使用该客户。"), code="duplicate")
    raise ValidationError(_("该身份证号的客户已由其他客户经理登记，您在会员查询中查不到。如客户希望改由您服务，"
                            "请在下方向其客户经理或客户组长申请移交。"), code="registered_elsewhere")


@transaction.atomic
def member_decide(*, actor, member_id: int, approve: bool, reason: str = "", via: str = "manual") -> Member:
    """客服 verifies or rejects a member's identity (or the provider decides, ``via='local'``)."""
    if not actor.has_perm("members.verify_member"):
        raise PermissionDenied("members.verify_member")
    member = Member.objects.select_for_update().get(pk=member_id)
    if member.status == Member.Status.VERIFIED:
        raise ValidationError(_("该会员已认证。"))
    if approve:
        member.verify()
        member.verified_by, member.verified_at, member.verified_via = actor, timezone.now(), via
        member.reject_reason = ""
    else:
        if not reason:
            raise ValidationError(_("请填写未通过原因。"))
        member.reject(reason)
    member.save()
    from apps.messaging.services import message_send

    outcome = "已通过实名认证" if approve else f"实名认证未通过：{reason}"
    message_send(recipients=[member.registered_by_id], title=f"会员 {member.real_name} {outcome}",
                 link=reverse("ops:member_detail", args=[member.pk]), category="workflow")
    return member


def member_check_with_provider(*, actor, member_id: int) -> Member:
    member = Member.objects.get(pk=member_id)
    result = provider().check(member)
    return member_decide(actor=actor, member_id=member_id, approve=result.ok, reason=result.reason,
                         via=provider().name)


def consent_record(*, actor, member: Member, scope: str) -> Consent:
    return Consent.objects.create(member=member, scope=scope, recorded_by=actor)


CONSENT_SCOPE = "同意将身份信息及贷款资料提供给接收申请 {order_no} 的合作机构"


def consent_shares_identity(*, member: Member, order_no: str) -> bool:
    """Whether the client agreed to give their identity data (ID photos included) to the institution that
    receives the application ``order_no`` (the consent recorded when the application was created)."""
    return member.consents.filter(scope__contains=order_no).filter(scope__contains="身份信息").exists()


def pii_shown(*, actor, member: Member, fields: str) -> None:
    """Log a full view of a client's personal data by someone whose right to it another app established
    (e.g. the institution the client chose, on the case's page)."""
    PiiAccess.objects.create(member=member, user=actor, fields=fields[:100])


def pii_reveal(*, actor, member: Member) -> dict:
    """Full ID number and mobile, for roles that need them; every reveal is logged."""
    if not actor.has_perm("members.view_member_pii"):
        raise PermissionDenied("members.view_member_pii")
    PiiAccess.objects.create(member=member, user=actor, fields="id_number,mobile")
    return {"id_number": member.id_number, "mobile": member.mobile}
