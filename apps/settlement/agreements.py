"""Per-institution commission agreements (佣金协议), kept on the platform with their history.

A version's terms are never edited once saved: changed terms are a new version from a date. Adding a version
whose start falls inside the open-ended version in force ends that one the day before (both logged); any other
overlap is refused with the conflicting version named. The database's exclusion constraint
(``agreement_no_overlap``) is the last word when two administrators save at once."""
from datetime import timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from apps.accounts.models import Organization
from apps.common import clock
from apps.common.money import to_money

from .models import Agreement, AgreementLog


def _log(agreement: Agreement, actor, text: str) -> None:
    AgreementLog.objects.create(institution_id=agreement.institution_id, agreement=agreement, at=clock.now(),
                                actor=actor, text=text[:300])


def agreement_terms_text(a: Agreement) -> str:
    figure = f"固定佣金 {a.fixed_amount:,.2f} 元" if a.fixed_amount is not None else f"费率 {(a.rate * 100).normalize():f}%"
    fee = f"客户服务费 {a.service_fee:,.2f} 元" if a.service_fee is not None else "客户服务费按产品默认"
    return f"{figure}，最低佣金 {a.minimum:,.2f} 元，{fee}"


def _period(valid_from, valid_to) -> str:
    return f"{valid_from:%Y-%m-%d} 至 " + (f"{valid_to:%Y-%m-%d}" if valid_to else "长期")


def _overlapping(institution_id: int, product_id: int, valid_from, valid_to) -> QuerySet:
    qs = Agreement.objects.filter(institution_id=institution_id, product_id=product_id)
    qs = qs.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=valid_from))
    return qs if valid_to is None else qs.filter(valid_from__lte=valid_to)


def agreement_create(*, actor, institution: Organization, product, valid_from, valid_to=None, rate=None,
                     fixed_amount=None, minimum="0", service_fee=None, note: str = "") -> Agreement:
    """A new version of the institution's terms for the product.

    1. Lock the institution row (one writer per institution's agreements at a time).
    2. An open-ended version that started before ``valid_from`` ends on ``valid_from − 1`` (logged).
    3. Any remaining overlap is refused, naming the version it overlaps.
    4. Save the new version and its history row."""
    if not actor.has_perm("settlement.add_agreement"):
        raise PermissionDenied("settlement.add_agreement")
    if institution.parent_id is not None or not institution.is_institution:
        raise ValidationError(_("佣金协议只能与机构总部签订，请选择总部机构。"))
    if (rate is None) == (fixed_amount is None):
        raise ValidationError(_("请在佣金费率与固定佣金中二选一填写。"))
    if rate is not None and not (Decimal("0") < Decimal(rate) <= Decimal("1")):
        raise ValidationError(_("佣金费率应大于 0 且不超过 100%。"))
    fixed_amount = None if fixed_amount is None else to_money(fixed_amount)
    minimum = to_money(minimum or "0")
    service_fee = None if service_fee is None else to_money(service_fee)
    if (fixed_amount is not None and fixed_amount <= 0) or minimum < 0 or (service_fee is not None and service_fee < 0):
        raise ValidationError(_("固定佣金应大于 0，最低佣金与客户服务费不能为负数。"))
    if valid_to is not None and valid_to < valid_from:
        raise ValidationError(_("失效日期不能早于生效日期。"))
    with transaction.atomic():
        Organization.objects.select_for_update().get(pk=institution.pk)
        current = (_overlapping(institution.pk, product.pk, valid_from, valid_to)
                   .filter(valid_to__isnull=True, valid_from__lt=valid_from).first())
        if current is not None:
            current.valid_to = valid_from - timedelta(days=1)
            current.save(update_fields=["valid_to", "updated_at"])
            _log(current, actor, f"因新协议自 {valid_from:%Y-%m-%d} 生效，本协议于 {current.valid_to:%Y-%m-%d} 终止")
        clash = _overlapping(institution.pk, product.pk, valid_from, valid_to).first()
        if clash is not None:
            raise ValidationError(_("与佣金协议 %(no)s（%(p)s）的有效期重叠，请调整生效或失效日期。") % {
                "no": clash.number, "p": _period(clash.valid_from, clash.valid_to)})
        try:
            with transaction.atomic():
                agreement = Agreement.objects.create(
                    institution=institution, product=product, rate=None if rate is None else Decimal(rate),
                    fixed_amount=fixed_amount, minimum=minimum, service_fee=service_fee, valid_from=valid_from,
                    valid_to=valid_to, note=note.strip()[:200], created_by=actor)
        except IntegrityError as exc:  # a concurrent save won the period
            raise ValidationError(_("该期间已有佣金协议，请刷新页面后重试。")) from exc
        _log(agreement, actor, f"新增协议（{product.name}，{_period(valid_from, valid_to)}）：{agreement_terms_text(agreement)}"
                               + (f"；{note.strip()}" if note.strip() else ""))
        return agreement


def agreement_end(*, actor, agreement_id: int, valid_to, reason: str) -> Agreement:
    """End a version on ``valid_to`` (not before today: statements already issued keep the terms they applied)."""
    if not actor.has_perm("settlement.change_agreement"):
        raise PermissionDenied("settlement.change_agreement")
    if not reason.strip():
        raise ValidationError(_("请填写终止原因。"))
    with transaction.atomic():
        agreement = Agreement.objects.select_for_update().select_related("product").get(pk=agreement_id)
        if valid_to < clock.today():
            raise ValidationError(_("终止日期不能早于今天（已放款的案件按放款当日有效的协议计佣），请选择今天或以后的日期。"))
        if valid_to < agreement.valid_from:
            raise ValidationError(_("终止日期不能早于协议的生效日期。"))
        if agreement.valid_to is not None and valid_to >= agreement.valid_to:
            raise ValidationError(_("协议已于 %(d)s 失效，终止日期只能提前。") % {"d": f"{agreement.valid_to:%Y-%m-%d}"})
        agreement.valid_to = valid_to
        agreement.save(update_fields=["valid_to", "updated_at"])
        _log(agreement, actor, f"终止协议，最后有效日 {valid_to:%Y-%m-%d}：{reason.strip()}")
        return agreement
