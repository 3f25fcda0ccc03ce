from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Permission
from django.db import transaction
from django.apps import apps as django_apps

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
