"""API keys: created and revoked by the institution's administrator, shown once, stored as a sha256 digest.

A key's codes are chosen like a role's, among the codes the API checks that 数银 allows institutions
(``key_grantable_codes``); a code 数银 later disables or stops allowing grants nothing (checked on every request,
through the rights cache). Authentication is one query (key, its account and the institution) plus one Redis round
trip shared by the rate limit."""
import functools
import hashlib
import secrets
import time

from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils.translation import gettext as _

from apps.accounts import authz_cache
from apps.accounts.access import institution_grantable_perms
from apps.accounts.models import DataScope, Organization
from apps.accounts.permcodes import disabled_codes
from apps.accounts.services import user_create
from apps.common import clock

from .models import ApiKey

KEY_PREFIX = "sy_"
# The codes the API's endpoints check (a key holding any other code could do nothing more with it).
API_CODES = (
    "dispatch.view_case", "dispatch.answer_case",
    "cases.view_case", "cases.allocate_case", "cases.handle_case",
    "settlement.view_settlement", "settlement.pay_settlement",
    "positions.view_account", "positions.view_journalline",
)
RATE_MIN, RATE_MAX = 1, 6000


def key_grantable_codes() -> list[str]:
    """Codes an institution may give a key: those the API checks, never more than 数银 allows institutions."""
    allowed = institution_grantable_perms()
    return [c for c in API_CODES if c in allowed]


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _institution_of(actor) -> Organization:
    org = actor.organization
    if org is None or not org.is_institution or not actor.has_perm("api.manage_apikey"):
        raise PermissionDenied("api.manage_apikey")
    return Organization.objects.get(pk=org.root_id)


@transaction.atomic
def key_create(*, actor, name: str, permission_codes, rate_per_minute: int) -> tuple[ApiKey, str]:
    """A new key for the actor's institution. Returns the key and its secret, which is never stored (only its
    digest) and so can be shown this once."""
    institution = _institution_of(actor)
    name = (name or "").strip()
    if not name:
        raise ValidationError(_("请填写密钥名称，如“信贷系统对接”。"))
    codes = sorted(set(permission_codes))
    if not codes:
        raise ValidationError(_("请至少选择一项权限。"))
    if not set(codes) <= set(key_grantable_codes()):
        raise PermissionDenied("codes not grantable to a key")
    if not RATE_MIN <= int(rate_per_minute) <= RATE_MAX:
        raise ValidationError(_("每分钟请求上限应在 %(a)d 至 %(b)d 之间。") % {"a": RATE_MIN, "b": RATE_MAX})
    prefix = KEY_PREFIX + secrets.token_hex(4)
    raw = f"{prefix}_{secrets.token_urlsafe(32)}"
    user = user_create(username=f"api-{prefix}", password=None, real_name=f"API密钥 {name}"[:50],
                       organization=institution, is_active=False)
    key = ApiKey.objects.create(institution=institution, name=name[:50], prefix=prefix, key_hash=_digest(raw),
                                user=user, permissions=codes, rate_per_minute=int(rate_per_minute), created_by=actor)
    return key, raw


@transaction.atomic
def key_revoke(*, actor, key_id: int) -> ApiKey:
    institution = _institution_of(actor)
    key = ApiKey.objects.select_for_update().filter(pk=key_id, institution=institution).first()
    if key is None:
        from django.http import Http404

        raise Http404
    if key.revoked_at is None:
        key.revoked_at, key.revoked_by = clock.now(), actor
        key.save(update_fields=["revoked_at", "revoked_by"])
    return key


def keys_for_user(*, user):
    org = user.organization
    if org is None or not org.is_institution:
        return ApiKey.objects.none()
    return ApiKey.objects.filter(institution_id=org.root_id).select_related("created_by", "revoked_by")


# ---- authentication of a request ----

class RateLimited(Exception):
    def __init__(self, retry_after: int):
        self.retry_after = retry_after


def _rights(key: ApiKey) -> dict:
    allowed = set(key_grantable_codes()) - disabled_codes()
    return {"perms": {c for c in key.permissions if c in allowed}, "scope": DataScope.ALL}


def _count(key: ApiKey, user, now: float) -> int:
    """This minute's requests of the key, counted in Redis; 0 when Redis is unreachable (the API keeps answering
    rather than refuse every caller). The same round trip reads the rights cache's generation and the key account's
    entry, handed to ``authz_cache`` as if it had read them itself (one round trip per request instead of two)."""
    window = int(now // 60)
    name = cache.make_and_validate_key(f"api:rate:{key.pk}:{window}")
    gen_key = cache.make_and_validate_key(authz_cache.GEN_KEY)
    entry_key = cache.make_and_validate_key(authz_cache.USER_KEY.format(user.pk))
    try:
        client = cache._cache.get_client(name, write=True)
        pipe = client.pipeline(transaction=False)
        pipe.incr(name)
        pipe.expire(name, 61)
        pipe.mget([gen_key, entry_key])
        count, _ok, (gen, entry) = pipe.execute()
    except Exception:  # noqa: BLE001
        return 0
    if gen is not None:
        loads = cache._cache._serializer.loads
        user._authz_gen, user._authz_entry = loads(gen), (loads(entry) if entry is not None else None)
    return int(count)


@functools.cache
def _key_select() -> tuple[str, list[str], list[str], list[str]]:
    """SQL of the key, its account and the institution by prefix (unrevoked), built once per process from the
    models' fields, and the attribute names of each part (as ``accounts.backends.user_with_organization``: the ORM
    would spend more time building the statement than the database answering it, on every API request)."""
    from apps.accounts.models import User

    q = connection.ops.quote_name
    parts = [(ApiKey, "k"), (User, "u"), (Organization, "o")]
    names = [[f.attname for f in m._meta.concrete_fields] for m, _a in parts]
    columns = [f"{a}.{q(f.column)}" for m, a in parts for f in m._meta.concrete_fields]
    sql = (f"SELECT {', '.join(columns)} FROM {q(ApiKey._meta.db_table)} k"
           f" JOIN {q(User._meta.db_table)} u ON u.{q(User._meta.pk.column)} = k.{q('user_id')}"
           f" JOIN {q(Organization._meta.db_table)} o ON o.{q(Organization._meta.pk.column)} = u.{q('organization_id')}"
           f" WHERE k.{q('prefix')} = %s AND k.{q('revoked_at')} IS NULL")
    return sql, *names


def _key_with_account(prefix: str):
    from apps.accounts.models import User

    sql, key_names, user_names, org_names = _key_select()
    with connection.cursor() as cur:
        cur.execute(sql, [prefix])
        row = cur.fetchone()
    if row is None:
        return None
    a, b = len(key_names), len(key_names) + len(user_names)
    key = ApiKey.from_db(connection.alias, key_names, row[:a])
    if isinstance(key.permissions, str):  # a raw cursor gives jsonb as text
        import json

        key.permissions = json.loads(key.permissions)
    user = User.from_db(connection.alias, user_names, row[a:b])
    org = Organization.from_db(connection.alias, org_names, row[b:])
    User._meta.get_field("organization").set_cached_value(user, org)
    ApiKey._meta.get_field("user").set_cached_value(key, user)
    return key


def authenticate(raw: str):
    """The key's account ready to act (codes and scope of the key) for a valid, unrevoked key of an active
    institution; None otherwise. Raises ``RateLimited`` past the key's requests per minute."""
    raw = (raw or "").strip()
    prefix = raw[:len(KEY_PREFIX) + 8]
    if not raw.startswith(KEY_PREFIX) or len(raw) < 20:
        return None
    key = _key_with_account(prefix)
    if key is None or not secrets.compare_digest(key.key_hash, _digest(raw)):
        return None
    user = key.user
    if not user.organization.is_active:
        return None
    now = time.time()
    if _count(key, user, now) > key.rate_per_minute:
        raise RateLimited(60 - int(now) % 60)
    user.is_active = True  # in this request only: the stored row stays inactive (see models)
    user._authz_rights = authz_cache.user_rights(user, lambda: _rights(key))
    user.api_key = key
    if key.last_used_at is None or (clock.now() - key.last_used_at).total_seconds() > 60:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=clock.now())
    return user
