"""What a request needs to know about its user's rights, without asking the database every time.

Every page checks permission codes (area, view, menu items, buttons) and the user's data scope, and draws the
area's menu. Those come from roles, role permissions and menus, which change a few times a day, while pages are
drawn thousands of times. So they are kept:

* in Redis, one entry per user (``authz:user:<pk>``) with the permission codes and the data scope, stamped with
  the *generation* they were computed under;
* in the process, the menus of each area, also stamped with the generation;

and a request reads the current generation together with its user's entry in one Redis round trip. Any change
to roles, their permissions, a user's roles or direct permissions, or the menus (see ``signals``) moves the
generation on, so every stamped entry is stale at once and is rebuilt from the database on the next request.
If Redis is empty or unreachable the rights are read from the database as before: the cache can make a page
faster, never give a right that the database does not.

The user row itself (active, organisation active, session epoch) is still read on every request: switching a
user off takes effect at once without any cache."""
import logging
import uuid

from django.core.cache import cache

log = logging.getLogger(__name__)

GEN_KEY = "authz:gen"
USER_KEY = "authz:user:{}"
TTL = 600  # seconds: a backstop; the generation is what makes entries stale

_menus: dict = {}  # (generation, area) -> menu rows, this process only


def bump() -> None:
    """Make every cached right and menu stale (called after the transaction that changed them commits)."""
    try:
        cache.set(GEN_KEY, uuid.uuid4().hex, None)
    except Exception:  # noqa: BLE001 — Redis down: no entry can be read either, so nothing stale is served
        log.warning("authz generation not moved on (cache unavailable)", exc_info=True)
    _menus.clear()


def _generation_and(key: str, ahead: list[str] = ()):
    """The current generation and, in the same round trip, the entry at ``key`` (and the values of ``ahead``)."""
    try:
        got = cache.get_many([GEN_KEY, key, *ahead])
        gen = got.get(GEN_KEY)
        if gen is None:
            # First use (or Redis lost its data): start a generation; add() lets one process win the race.
            cache.add(GEN_KEY, uuid.uuid4().hex, None)
            gen = cache.get(GEN_KEY)
        return gen, got.get(key), {k: got.get(k) for k in ahead}
    except Exception:  # noqa: BLE001
        log.warning("authz cache unavailable, reading rights from the database", exc_info=True)
        return None, None, {}


def request_generation(user, ahead: list[str] = ()) -> str | None:
    """The generation this request works under (read once per request, kept on the user object). ``ahead``:
    keys the request will read next (a cached page, ``apps.common.pagecache``), fetched in the same round trip
    and kept on the user as ``_pagecache_ahead``."""
    if not hasattr(user, "_authz_gen"):
        user._authz_gen, user._authz_entry, got = _generation_and(USER_KEY.format(user.pk), ahead)
        if got:
            user._pagecache_ahead = got
    return user._authz_gen


def user_rights(user, compute) -> dict:
    """``{"perms": set of "app.code", "scope": int}`` for ``user``: from the cache when it was stamped with the
    current generation, else ``compute()`` (the database), stored for the next request."""
    rights = getattr(user, "_authz_rights", None)
    if rights is not None:
        return rights
    gen = request_generation(user)
    entry = getattr(user, "_authz_entry", None)
    if gen is not None and entry and entry.get("gen") == gen and entry.get("superuser") == user.is_superuser:
        rights = {"perms": set(entry["perms"]), "scope": entry["scope"]}
    else:
        rights = compute()
        if gen is not None:
            try:
                cache.set(USER_KEY.format(user.pk), {"gen": gen, "superuser": user.is_superuser,
                                                      "perms": sorted(rights["perms"]), "scope": rights["scope"]}, TTL)
            except Exception:  # noqa: BLE001
                log.warning("authz entry not stored", exc_info=True)
    user._authz_rights = rights
    return rights


def area_menus(user, area: str, compute, variant=None) -> list:
    """The area's menu rows (``compute()`` reads them), kept in this process for the current generation.
    ``variant``: whose arrangement of the menu (an institution's root id: 机构菜单管理), or None for the area's."""
    gen = request_generation(user)
    if gen is None:
        return compute()
    key = (gen, area, variant)
    if key not in _menus:
        if len(_menus) > 512:  # older generations (one entry per area and arranging institution)
            _menus.clear()
        _menus[key] = compute()
    return _menus[key]
