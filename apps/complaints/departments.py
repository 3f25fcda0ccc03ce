"""The departments a suggestion is forwarded to (反馈到相关部门): a 数银 role of the operations area or one of 数银's
organisation units (a unit's members include its sub-units'). A department is named by a key, ``role:<code>`` or
``unit:<pk>``, so that the screening form offers them in one select."""
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _

from apps.accounts.models import Area, Organization, Role, User


def department_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    roles = Role.objects.filter(organization__isnull=True, is_active=True, area=Area.OPS).order_by("name")
    units = Organization.objects.filter(kind=Organization.Kind.PLATFORM, parent__isnull=False,
                                        is_active=True).order_by("path")
    return [("角色", [(f"role:{r.code}", r.name) for r in roles]),
            ("部门", [(f"unit:{u.pk}", u.name) for u in units])]


def department_resolve(key: str) -> tuple[str, Organization | None, str]:
    """(role code, unit, label) of a department key; a key that names no active department is refused."""
    kind, _sep, ref = (key or "").partition(":")
    if kind == "role":
        role = Role.objects.filter(organization__isnull=True, is_active=True, area=Area.OPS, code=ref).first()
        if role is not None:
            return role.code, None, role.name
    if kind == "unit" and ref.isdigit():
        unit = Organization.objects.filter(pk=int(ref), kind=Organization.Kind.PLATFORM, parent__isnull=False,
                                           is_active=True).first()
        if unit is not None:
            return "", unit, unit.name
    raise ValidationError(_("请选择转交的部门（角色或组织部门）。"))


def department_members(*, role: str, unit_id: int | None) -> list[int]:
    """The active 数银 staff of a department."""
    qs = User.objects.filter(is_active=True, organization__kind=Organization.Kind.PLATFORM)
    if role:
        qs = qs.filter(roles__code=role, roles__organization__isnull=True, roles__is_active=True)
    elif unit_id:
        unit = Organization.objects.get(pk=unit_id)
        qs = qs.filter(organization__path__startswith=unit.path)
    else:
        return []
    return list(qs.values_list("pk", flat=True).distinct())


def department_q(user, roles: list[str]) -> Q:
    """Complaints forwarded to a department this user (holding the 数银 ``roles``) belongs to (for the selector)."""
    org = user.organization
    units = [int(p) for p in org.path.strip("/").split("/") if p] if org and org.path else []
    return (Q(forwarded_role__in=roles) & ~Q(forwarded_role="")) | Q(forwarded_unit_id__in=units)
