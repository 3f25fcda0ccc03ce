from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Permission
from django.db import transaction
from django.apps import apps as django_apps

from apps.common import pagecache

from .access import INSTITUTION_ROLE_TEMPLATES, PLATFORM_ROLES, declared_menus, declared_role_perms
from .models import Menu, Organization, Role, User


def permissions_by_codes(codes) -> list[Permission]:
    """'app_label.codename' strings → Permission rows (unknown codes raise, so typos fail loudly)."""
    wanted = set(codes)
    if not wanted:
        return []
    perms = {
        f"{p.content_type.app_label}.{p.codename}": p
        for p in Permission.objects.select_related("content_type").filter(
            codename__in={c.split(".", 1)[1] for c in wanted}
        )
    }
    missing = wanted - perms.keys()
    if missing:
        raise ValueError(f"unknown permission codes: {sorted(missing)}")
    return [perms[c] for c in sorted(wanted)]


@transaction.atomic
def organization_create(*, name: str, kind: str, parent: Organization | None = None, **fields) -> Organization:
    """Create an organisation and set its materialised path. A root institution gets its
    own copy of the institution template roles."""
    if parent is not None:
        kind = parent.kind
    org = Organization.objects.create(name=name, kind=kind, parent=parent, **fields)
    org.path = f"{parent.path if parent else '/'}{org.pk}/"
    org.depth = 0 if parent is None else parent.depth + 1
    org.save(update_fields=["path", "depth"])
    if kind == Organization.Kind.INSTITUTION and parent is None:
        institution_roles_sync(institution=org)
    return org


def institution_roles_sync(*, institution: Organization, grants: dict[str, set[str]] | None = None) -> None:
    grants = grants if grants is not None else declared_role_perms()
    for spec in INSTITUTION_ROLE_TEMPLATES:
        role, _ = Role.objects.get_or_create(
            organization=institution, code=spec.code,
            defaults={"name": spec.name, "area": spec.area, "data_scope": spec.scope, "is_builtin": True},
        )
        role.permissions.add(*permissions_by_codes(grants.get(spec.code, ())))


def user_create(*, username: str, password: str | None, real_name: str, organization: Organization,
                roles: list[Role] = (), **fields) -> User:
    user = User(username=username, real_name=real_name, organization=organization, **fields)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    if roles:
        user.roles.set(roles)
    return user


def platform_role(code: str) -> Role:
    return Role.objects.get(organization__isnull=True, code=code)


def institution_role(institution: Organization, code: str) -> Role:
    return Role.objects.get(organization_id=institution.root_id, code=code)


@transaction.atomic
def access_sync() -> None:
    """Create permission rows, built-in roles and menus declared in the apps' access.py.
    Idempotent; runs after every ``migrate``."""
    for config in django_apps.get_app_configs():
        create_permissions(config, verbosity=0)
    grants = declared_role_perms()
    for spec in PLATFORM_ROLES:
        role, _ = Role.objects.get_or_create(
            organization=None, code=spec.code,
            defaults={"name": spec.name, "area": spec.area, "data_scope": spec.scope, "is_builtin": True},
        )
        role.permissions.add(*permissions_by_codes(grants.get(spec.code, ())))
    for institution in Organization.objects.filter(kind=Organization.Kind.INSTITUTION, parent__isnull=True):
        institution_roles_sync(institution=institution, grants=grants)
    items = declared_menus()
    existing = {m.code: m for m in Menu.objects.all()}
    for item in sorted(items, key=lambda i: (bool(i.parent), i.order)):
        if item.code in existing:
            continue
        existing[item.code] = Menu.objects.create(
            code=item.code, area=item.area, title=item.title, url_name=item.url_name, permission=item.perm,
            parent=existing.get(item.parent) if item.parent else None, icon=item.icon, order=item.order,
        )


# ---- administration of staff, roles and units (platform site and institution back office) ----

from django.core.exceptions import PermissionDenied, ValidationError  # noqa: E402
from django.db.models import F  # noqa: E402

from .access import institution_grantable_perms  # noqa: E402
from .models import Area  # noqa: E402
from .throttle import login_failures_clear  # noqa: E402


def grantable_permission_codes(*, actor) -> set[str]:
    """Codes an administrator may put into roles: an institution only what 数银 allows institutions;
    数银's administrators every code some built-in role uses plus every custom code the apps declare
    (not the raw add/change/delete rows of internal tables)."""
    if actor.organization and actor.organization.is_institution:
        return institution_grantable_perms()
    codes = set().union(*declared_role_perms().values())
    for p in Permission.objects.select_related("content_type").filter(content_type__app_label__in=_project_labels()):
        if not p.codename.startswith(("add_", "change_", "delete_", "view_")):
            codes.add(f"{p.content_type.app_label}.{p.codename}")
    return codes


def _project_labels() -> set[str]:
    return {c.label for c in django_apps.get_app_configs() if c.name.startswith("apps.")}


def assignable_roles(*, actor):
    """Roles an administrator may give to staff: the institution's own roles, or 数银's roles."""
    org = actor.organization
    if org.is_institution:
        return Role.objects.filter(organization_id=org.root_id, is_active=True)
    return Role.objects.filter(organization__isnull=True, is_active=True)


@transaction.atomic
def role_save(*, actor, role: Role | None, name: str, code: str, data_scope: int, permission_codes, is_active: bool,
              description: str = "") -> Role:
    allowed = grantable_permission_codes(actor=actor)
    wanted = set(permission_codes)
    if not wanted <= allowed:
        raise PermissionDenied(f"codes not grantable: {sorted(wanted - allowed)}")
    org = actor.organization
    owner = Organization.objects.get(pk=org.root_id) if org.is_institution else None
    if role is None:
        if Role.objects.filter(organization=owner, code=code).exists():
            raise ValidationError({"code": "角色代码已存在，请换一个。"})
        role = Role(organization=owner, code=code)
    elif role.organization_id != (owner.pk if owner else None):
        raise PermissionDenied("role of another organisation")
    if owner is not None:
        wanted.add("accounts.access_inst")  # an institution role always opens the back office
        role.area = Area.INST
    else:
        role.area = Area.PLATFORM if "accounts.access_platform" in wanted else Area.OPS
    role.name, role.data_scope, role.is_active, role.description = name, data_scope, is_active, description
    role.save()
    role.permissions.set(permissions_by_codes(wanted))
    return role


@transaction.atomic
def staff_save(*, actor, user: User | None, username: str, real_name: str, mobile: str, email: str,
               organization: Organization, roles, superior: User | None = None, password: str | None = None) -> User:
    """Create or edit a staff account within the actor's reach (organisation in scope, roles assignable)."""
    from .selectors import organization_list_for_user

    if not organization_list_for_user(user=actor).filter(pk=organization.pk).exists():
        raise PermissionDenied("organisation out of scope")
    allowed_roles = set(assignable_roles(actor=actor).values_list("pk", flat=True))
    if any(r.pk not in allowed_roles for r in roles):
        raise PermissionDenied("role not assignable")
    if user is None:
        user = user_create(username=username, password=password, real_name=real_name, organization=organization,
                           roles=list(roles), mobile=mobile, email=email, superior=superior)
        return user
    user.real_name, user.mobile, user.email, user.organization, user.superior = (
        real_name, mobile, email, organization, superior)
    user.full_clean(exclude=["password"])
    user.save()
    user.roles.set(roles)
    return user


def staff_set_active(*, actor, user: User, active: bool) -> None:
    if user.pk == actor.pk and not active:
        raise ValidationError(_("不能停用自己的账号。"))
    User.objects.filter(pk=user.pk).update(is_active=active, session_epoch=F("session_epoch") + (0 if active else 1))


def staff_set_password(*, actor, user: User, password: str) -> None:
    from django.contrib.auth.password_validation import validate_password

    validate_password(password, user)
    user.set_password(password)
    user.session_epoch += 1
    user.save(update_fields=["password", "session_epoch"])
    login_failures_clear(username=user.username)  # guesses at the old password no longer count: unlocked


def staff_force_logout(*, actor, user: User) -> None:
    """End every session of ``user`` at its next request."""
    User.objects.filter(pk=user.pk).update(session_epoch=F("session_epoch") + 1)


@transaction.atomic
def unit_save(*, actor, unit: Organization | None, parent: Organization, name: str, code: str, region=None,
              contact_name: str = "", contact_phone: str = "", address: str = "") -> Organization:
    """Add or edit a sub-institution (下级机构) under a unit the actor may see."""
    from .selectors import organization_list_for_user

    if not organization_list_for_user(user=actor).filter(pk=parent.pk).exists():
        raise PermissionDenied("parent out of scope")
    if unit is None:
        if Organization.objects.filter(code=code).exists():
            raise ValidationError({"code": "机构编码已存在，请换一个。"})
        return organization_create(name=name, code=code, kind=parent.kind, parent=parent, region=region,
                                   contact_name=contact_name, contact_phone=contact_phone, address=address)
    unit.name, unit.region = name, region
    unit.contact_name, unit.contact_phone, unit.address = contact_name, contact_phone, address
    unit.save()
    return unit


def unit_delete(*, actor, unit: Organization) -> None:
    if unit.parent_id is None:
        raise ValidationError(_("不能删除机构本身。"))
    if unit.children.exists() or unit.users.exists():
        raise ValidationError(_("该下级机构仍有下级机构或员工，请先移走后再删除。"))
    unit.delete()


# ---- institution onboarding (online join → 数银 review → activation link → first sign-in) ----
import secrets  # noqa: E402

from django.contrib.auth.tokens import PasswordResetTokenGenerator  # noqa: E402
from django.utils import timezone  # noqa: E402
from django.utils.encoding import force_bytes  # noqa: E402
from django.utils.http import urlsafe_base64_encode  # noqa: E402
from django.utils.translation import gettext as _  # noqa: E402

from apps.common.files import private_save  # noqa: E402

from .models import InstitutionApplication  # noqa: E402

activation_tokens = PasswordResetTokenGenerator()


def credit_code_lock(code: str) -> None:
    """Serialise everything that may give ``code`` to a new institution or application (two join forms sent
    at once, a join and the platform's add form), until the transaction ends."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"credit_code:{code}"])


def credit_code_standing(code: str, *, staff: bool = False) -> str:
    """Where a credit code stands, as the message that refuses it, or "" when it is free: an institution
    already has it, or an application with it is pending review. Codes are compared as stored (ASCII, upper
    case: the forms fold '９１４４…' to '9144…' before asking). ``staff`` names the institution."""
    if not code:
        return ""
    org = Organization.objects.filter(credit_code=code).order_by("pk").first()
    if org is not None:
        if staff:
            return _("该统一社会信用代码已属于机构“%(n)s”（编码 %(c)s），不能重复创建。") % {"n": org.name, "c": org.code}
        return _("该统一社会信用代码的机构已入驻数银在线，请直接登录机构后台；如有疑问请联系数银客服。")
    pending = InstitutionApplication.objects.filter(
        credit_code=code, status=InstitutionApplication.Status.PENDING).order_by("pk").first()
    if pending is not None:
        if staff:
            return _("该统一社会信用代码有一份待审核的入驻申请（%(n)s，%(d)s 提交），请先在“入驻审核”中处理。") % {
                "n": pending.name, "d": timezone.localtime(pending.created_at).strftime("%Y-%m-%d")}
        return _("该统一社会信用代码已于 %(d)s 提交入驻申请，正在审核中，请勿重复提交；"
                 "审核进度请查看提交后获得的申请进度页面。") % {
                     "d": timezone.localtime(pending.created_at).strftime("%Y-%m-%d")}
    return ""


@transaction.atomic
def institution_application_submit(*, name, credit_code, region, address, contact_name, contact_mobile,
                                   admin_username, licence) -> InstitutionApplication:
    """Store an online application (the licence file is checked by content first). A code that an institution
    already has, or that a pending application has, is refused (checked again under the code's lock, so two
    forms sent at once give one application)."""
    credit_code_lock(credit_code)
    standing = credit_code_standing(credit_code)
    if standing:
        raise ValidationError({"credit_code": standing})
    path = private_save(licence, folder="licences")
    return InstitutionApplication.objects.create(
        reference=secrets.token_urlsafe(12), name=name, credit_code=credit_code, region=region, address=address,
        contact_name=contact_name, contact_mobile=contact_mobile, admin_username=admin_username,
        licence_file=path)


def activation_path(user: User) -> str:
    """The one-time link with which a new institution admin sets a password (valid until used)."""
    return reverse("inst:activate", args=[urlsafe_base64_encode(force_bytes(user.pk)), activation_tokens.make_token(user)])


@transaction.atomic
def institution_create(*, actor, name: str, code: str, credit_code: str, region, address: str = "",
                       contact_name: str = "", contact_phone: str = "", admin_username: str,
                       admin_real_name: str, admin_mobile: str = "", admin_password: str | None = None):
    """Create an institution with its template roles and an admin account (unusable password when none is
    given: the admin activates the account through ``activation_path``)."""
    if Organization.objects.filter(code=code).exists():
        raise ValidationError({"code": "机构编码已存在，请换一个。"})
    if User.objects.filter(username__iexact=admin_username).exists():
        raise ValidationError({"admin_username": "该管理员账号已被使用，请换一个。"})
    if credit_code:
        credit_code_lock(credit_code)
        if Organization.objects.filter(credit_code=credit_code).exists():
            raise ValidationError({"credit_code": credit_code_standing(credit_code, staff=True)})
    org = organization_create(code=code, name=name, kind=Organization.Kind.INSTITUTION, region=region,
                              credit_code=credit_code, address=address, contact_name=contact_name,
                              contact_phone=contact_phone)
    admin = user_create(username=admin_username, password=admin_password, real_name=admin_real_name,
                        organization=org, roles=[institution_role(org, "inst_admin")], mobile=admin_mobile)
    return org, admin


@transaction.atomic
def institution_application_approve(*, actor, application_id: int, code: str):
    app = InstitutionApplication.objects.select_for_update().get(pk=application_id)
    if app.status != InstitutionApplication.Status.PENDING:
        raise ValidationError(_("该申请已处理，无需重复审核。"))
    org, admin = institution_create(
        actor=actor, name=app.name, code=code, credit_code=app.credit_code, region=app.region, address=app.address,
        contact_name=app.contact_name, contact_phone=app.contact_mobile, admin_username=app.admin_username,
        admin_real_name=app.contact_name, admin_mobile=app.contact_mobile)
    app.approve()
    app.organization, app.reviewed_by, app.reviewed_at = org, actor, timezone.now()
    app.save()
    return app, admin


@transaction.atomic
def institution_application_reject(*, actor, application_id: int, reason: str):
    app = InstitutionApplication.objects.select_for_update().get(pk=application_id)
    if app.status != InstitutionApplication.Status.PENDING:
        raise ValidationError(_("该申请已处理，无需重复审核。"))
    app.reject(reason)
    app.reviewed_by, app.reviewed_at = actor, timezone.now()
    app.save()
    return app


def institution_set_active(*, actor, institution: Organization, active: bool) -> None:
    """Suspend or resume an institution: its whole tree cannot sign in while suspended."""
    Organization.objects.filter(path__startswith=institution.path).update(is_active=active)
    if not active:
        User.objects.filter(organization__path__startswith=institution.path).update(
            session_epoch=F("session_epoch") + 1)


# ---- real-name verification of institution heads and loan officers ----
from .models import RealNameVerification  # noqa: E402


def verification_submit(*, actor, organization: Organization, subject: str, user: User | None, real_name: str,
                        id_number: str, id_photo) -> RealNameVerification:
    """An institution submits its head's or an officer's identity for 数银 to check."""
    from .selectors import organization_list_for_user

    if not organization_list_for_user(user=actor).filter(pk=organization.pk).exists():
        raise PermissionDenied("organisation out of scope")
    if user is not None and user.organization_id != organization.pk and not organization_list_for_user(
            user=actor).filter(pk=user.organization_id).exists():
        raise PermissionDenied("staff out of scope")
    if RealNameVerification.objects.filter(organization=organization, subject=subject, user=user,
                                           status=RealNameVerification.Status.PENDING).exists():
        raise ValidationError(_("已有一条待审核的认证，请等待数银审核结果。"))
    path = private_save(id_photo, folder="id-photos")
    verification = RealNameVerification.objects.create(
        organization=organization, subject=subject, user=user, real_name=real_name, id_number=id_number,
        id_photo=path, submitted_by=actor)
    from apps.messaging.services import message_send

    reviewers = User.objects.filter(roles__permissions__codename="review_realname", is_active=True).distinct()
    message_send(recipients=reviewers, title=f"新的实名认证待审核：{organization.name} {real_name}",
                 link=reverse("platform:verification_list"))
    return verification


@transaction.atomic
def verification_decide(*, actor, verification_id: int, approve: bool, reason: str = "") -> RealNameVerification:
    v = RealNameVerification.objects.select_for_update().get(pk=verification_id)
    if v.status != RealNameVerification.Status.PENDING:
        raise ValidationError(_("该认证已处理。"))
    if approve:
        v.verify()
        if v.subject == RealNameVerification.Subject.HEAD:
            Organization.objects.filter(pk=v.organization_id).update(head_name=v.real_name)
        elif v.user_id:
            User.objects.filter(pk=v.user_id).update(real_name=v.real_name)
        pagecache.bump("ref")  # names shown on cached pages (update() sends no signal)
    else:
        if not reason:
            raise ValidationError(_("请填写驳回原因。"))
        v.reject(reason)
    v.reviewed_by, v.reviewed_at = actor, timezone.now()
    v.save()
    from apps.messaging.services import message_send

    outcome = "已通过" if approve else f"被驳回：{reason}"
    message_send(recipients=[v.submitted_by_id], title=f"实名认证{outcome}（{v.real_name}）", link=reverse("inst:institution_profile"))
    return v


def profile_update(*, user: User, real_name: str, mobile: str, email: str) -> User:
    user.real_name, user.mobile, user.email = real_name, mobile, email
    user.full_clean(exclude=["password"])
    user.save(update_fields=["real_name", "mobile", "email"])
    return user


# ---- an institution's own arrangement of its back-office menu (机构后台 一.3 菜单管理) ----

from .models import InstitutionMenu  # noqa: E402

MENU_TITLE_MAX = 20


def _menu_owner(actor) -> Organization:
    """The institution (root of the actor's tree) whose menu the actor arranges, locked: two administrators
    saving at once apply one after the other instead of mixing their rows."""
    org = actor.organization
    if org is None or not org.is_institution or not actor.has_perm("accounts.arrange_inst_menu"):
        raise PermissionDenied("accounts.arrange_inst_menu")
    return Organization.objects.select_for_update().get(pk=org.root_id)


def _menus_changed() -> None:
    """The sidebar of this institution is cached per generation (``authz_cache``): move it on, now and after
    commit (bulk writes send no signals)."""
    from . import authz_cache

    authz_cache.bump()
    transaction.on_commit(authz_cache.bump)


def _materialise(owner: Organization) -> dict[str, InstitutionMenu]:
    """Every entry of 数银's institution menu as a row of ``owner``'s own (created with 数银's name, place and order
    where missing), keyed like ``inst_menu`` (``m<menu pk>`` / ``g<entry pk>``)."""
    from .inst_menu import base_rows

    menus = base_rows()
    entries = {e.menu_id: e for e in InstitutionMenu.objects.filter(organization=owner, menu__isnull=False)
               .select_related("menu")}
    missing = [InstitutionMenu(organization=owner, menu=m, title=m.title[:MENU_TITLE_MAX], order=m.order)
               for m in menus if m.pk not in entries]
    for e in InstitutionMenu.objects.bulk_create(missing):
        entries[e.menu_id] = e
    for m in menus:  # 数银's default parent for the rows just created
        e = entries[m.pk]
        if e.pk in {x.pk for x in missing} and m.parent_id in entries:
            e.parent = entries[m.parent_id]
            e.save(update_fields=["parent"])
    keyed = {f"m{menu_id}": e for menu_id, e in entries.items()}
    keyed.update({f"g{g.pk}": g for g in InstitutionMenu.objects.filter(organization=owner, menu__isnull=True)})
    return keyed


@transaction.atomic
def inst_menu_save(*, actor, changes: dict[str, dict]) -> int:
    """Apply the administrator's arrangement: ``changes[key] = {"title", "parent", "order", "hidden",
    "permission"}`` for entries of the actor's institution (other keys are refused). ``parent`` is the key of a
    group (数银's or the institution's own) or "" for the top level; a group stays at the top level; the bound
    code must be one 数银 allows institutions. Returns the number of rows changed.

    1. lock the institution row (one arrangement at a time);
    2. make every 数银 entry a row of the institution's own, then check and apply each change;
    3. move the menu generation on (after commit too)."""
    owner = _menu_owner(actor)
    rows = _materialise(owner)
    allowed = institution_grantable_perms()
    groups = {k for k, e in rows.items() if e.menu_id is None or not e.menu.url_name}
    errors, changed = {}, 0
    for key, c in changes.items():
        entry = rows.get(key)
        if entry is None:
            raise PermissionDenied("menu entry of another institution")
        title = (c.get("title") or "").strip()
        parent_key = c.get("parent") or ""
        if not title:
            errors[key] = "请填写菜单名称。"
        elif len(title) > MENU_TITLE_MAX:
            errors[key] = f"菜单名称不能超过 {MENU_TITLE_MAX} 个字。"
        elif parent_key and parent_key not in groups:
            errors[key] = "请选择有效的分组。"
        elif parent_key and key in groups:
            errors[key] = "分组只能放在第一级。"
        elif c.get("permission") and c["permission"] not in allowed:
            errors[key] = "只能绑定数银允许机构使用的权限编码。"
        if key in errors:
            continue
        new = {"title": title, "parent_id": rows[parent_key].pk if parent_key else None,
               "order": int(c.get("order") or 0), "is_hidden": bool(c.get("hidden")),
               "permission": c.get("permission") or ""}
        if any(getattr(entry, f) != v for f, v in new.items()):
            for f, v in new.items():
                setattr(entry, f, v)
            entry.save(update_fields=list(new))
            changed += 1
    if errors:
        raise ValidationError(errors)
    _menus_changed()
    return changed


@transaction.atomic
def inst_menu_group_add(*, actor, title: str, order: int = 0, icon: str = "") -> InstitutionMenu:
    owner = _menu_owner(actor)
    title = title.strip()
    if not title or len(title) > MENU_TITLE_MAX:
        raise ValidationError(_("请填写分组名称（不超过 %(n)s 个字）。") % {"n": MENU_TITLE_MAX})
    _materialise(owner)  # the institution's menu is now its own: 数银's entries keep their places
    group = InstitutionMenu.objects.create(organization=owner, menu=None, title=title, order=order, icon=icon)
    _menus_changed()
    return group


@transaction.atomic
def inst_menu_group_delete(*, actor, group_id: int) -> None:
    """Delete one of the institution's own groups; its entries go back to 数银's default group."""
    owner = _menu_owner(actor)
    group = InstitutionMenu.objects.get(organization=owner, menu__isnull=True, pk=group_id)
    rows = _materialise(owner)
    for entry in InstitutionMenu.objects.filter(organization=owner, parent=group).select_related("menu"):
        default = rows.get(f"m{entry.menu.parent_id}") if entry.menu and entry.menu.parent_id else None
        entry.parent = default
        entry.save(update_fields=["parent"])
    group.delete()
    _menus_changed()


@transaction.atomic
def inst_menu_reset(*, actor) -> int:
    """恢复数银默认: forget the institution's arrangement (and its own groups)."""
    owner = _menu_owner(actor)
    deleted, _ = InstitutionMenu.objects.filter(organization=owner).delete()
    _menus_changed()
    return deleted


# ---- 资料修改: an institution edits its own details; legal fields go to 数银 for review ----

from django.urls import reverse  # noqa: E402

from apps.common.validators import validate_uscc  # noqa: E402

from .models import InstitutionDetailChange  # noqa: E402

DETAIL_DIRECT_FIELDS = ("region", "address", "contact_name", "contact_phone", "head_mobile", "refund_bank_name",
                        "refund_account_name", "refund_account_no")
DETAIL_LEGAL_FIELDS = ("name", "credit_code", "legal_representative")


def _detail_shown(org: Organization, field: str) -> str:
    """A field as people read it (history rows keep this text)."""
    if field == "region":
        from apps.regions.selectors import region_path_name

        return region_path_name(org.region)
    return str(getattr(org, field) or "")


def _credit_code_checked(code: str, *, owner: Organization) -> str:
    code = validate_uscc(code)  # the shared GB 32100 check (apps.common.validators)
    if Organization.objects.filter(credit_code=code).exclude(pk=owner.pk).exists():
        raise ValidationError({"credit_code": "该统一社会信用代码已被其他机构使用，请核对营业执照。"})
    return code


def _detail_reviewers() -> list[int]:
    return list(User.objects.filter(is_active=True, roles__is_active=True,
                                    roles__permissions__codename="review_detail_change").distinct()
                .values_list("pk", flat=True))


@transaction.atomic
def institution_details_update(*, actor, values: dict):
    """The institution's administrator saves its details (机构后台 二.4 资料修改). Returns ``(applied, pending)``:
    the history row of the fields that applied at once, and the review request for the legal fields (either None
    when nothing of that kind changed).

    1. lock the institution row (the legal entity, root of the actor's tree);
    2. contacts, address, the head's mobile and the refund account: apply and write a history row;
    3. name, credit code, legal representative: one pending request at a time, before and after kept, 数银's
       reviewers messaged (in this transaction)."""
    from apps.messaging.services import message_send

    org = actor.organization
    if org is None or not org.is_institution or not actor.has_perm("accounts.change_organization"):
        raise PermissionDenied("accounts.change_organization")
    owner = Organization.objects.select_for_update().get(pk=org.root_id)

    def differs(field):
        if field == "region":
            value = values.get("region")
            return (value.pk if value else None) != owner.region_id
        return (values.get(field) or "") != (getattr(owner, field) or "")

    direct = [f for f in DETAIL_DIRECT_FIELDS if f in values and differs(f)]
    legal = [f for f in DETAIL_LEGAL_FIELDS if f in values and differs(f)]
    if legal and InstitutionDetailChange.objects.filter(organization=owner, status="pending").exists():
        raise ValidationError(_("已有一项主体信息变更等待数银审核，请审核完成后再提交新的变更。"))
    if "credit_code" in legal:
        values["credit_code"] = _credit_code_checked(values["credit_code"], owner=owner)
    applied = pending = None
    if direct:
        before = {f: _detail_shown(owner, f) for f in direct}
        for f in direct:
            setattr(owner, f, values[f] if f == "region" else (values[f] or ""))
        owner.full_clean(exclude=["path", "depth", "code", "follower"], validate_unique=False)
        owner.save(update_fields=direct)
        applied = InstitutionDetailChange.objects.create(
            organization=owner, before=before, after={f: _detail_shown(owner, f) for f in direct},
            requested_by=actor)
    if legal:
        pending = InstitutionDetailChange.objects.create(
            organization=owner, status=InstitutionDetailChange.Status.PENDING, requested_by=actor,
            before={f: getattr(owner, f) or "" for f in legal}, after={f: values[f] or "" for f in legal})
        message_send(recipients=_detail_reviewers(), title=f"{owner.name} 申请变更主体信息，待审核",
                     link=reverse("platform:detail_change_list"), sender=actor)
    if direct:
        pagecache.bump("ref")  # institution details shown on cached pages
    return applied, pending


@transaction.atomic
def detail_change_decide(*, actor, change_id: int, approve: bool, reason: str = "") -> InstitutionDetailChange:
    """数银 approves (the legal fields apply) or rejects an institution's request to change them.

    1. lock the request, then the institution (the order ``institution_details_update`` cannot deadlock with: it
       never locks a request);
    2. refuse a request whose "before" no longer matches the institution (changed meanwhile by 数银), and a credit
       code another institution has taken since;
    3. apply, record who decided, message the requester."""
    from apps.messaging.services import message_send

    if not actor.has_perm("accounts.review_detail_change"):
        raise PermissionDenied("accounts.review_detail_change")
    change = InstitutionDetailChange.objects.select_for_update().get(pk=change_id)
    if change.status != InstitutionDetailChange.Status.PENDING:
        raise ValidationError(_("该申请已处理。"))
    owner = Organization.objects.select_for_update().get(pk=change.organization_id)
    if approve:
        stale = [str(Organization._meta.get_field(f).verbose_name) for f, v in change.before.items()
                 if (getattr(owner, f) or "") != v]
        if stale:
            raise ValidationError(_("机构的%(f)s在申请后已被修改，请驳回后请机构重新提交。") % {"f": "、".join(stale)})
        after = dict(change.after)
        if "credit_code" in after:
            try:
                after["credit_code"] = _credit_code_checked(after["credit_code"], owner=owner)
            except ValidationError as exc:
                raise ValidationError(exc.messages[0]) from None
        change.approve()
        for f, v in after.items():
            setattr(owner, f, v)
        owner.save(update_fields=list(after))
        pagecache.bump("ref")
    else:
        reason = reason.strip()
        if not reason:
            raise ValidationError(_("请填写驳回原因，机构将看到它。"))
        change.reject(reason)
    change.decided_by, change.decided_at = actor, timezone.now()
    change.save()
    outcome = "已通过" if approve else f"被驳回：{reason}"
    message_send(recipients=[change.requested_by_id], title=f"主体信息变更{outcome}",
                 link=reverse("inst:institution_details"), sender=actor)
    return change
