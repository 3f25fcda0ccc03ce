"""Whole pages and small per-user figures kept in Redis, stamped with the *generations* of what they show.

A page that many people read and few change (the application detail page) costs several queries and a large
template to draw. Here it is drawn once per viewer and state and then served from Redis:

* **Generations.** Each thing a page shows has a named generation (``app:<pk>`` for one application with its
  history, documents and dispatch; ``ref`` for names of members, products, regions, users and organisations;
  ``tally`` for the queue figures; ``messages:<user pk>`` for a user's unread count). A write moves the
  generation on (``bump``, at once and again when its transaction commits; ``bump_on_change`` connects the
  model signals, and services that write with ``QuerySet.update`` call ``bump`` themselves).
* **Stamps.** An entry is stored with the generations it was drawn under, the viewer's rights generation
  (``accounts.authz_cache``: permission codes and data scope) and organisation, and is served only while all of
  them are unchanged. The generations are read in the same Redis round trip as the entry; a write that commits
  while a page is being drawn leaves an entry with the old stamp, which the next request passes over.
* **Live parts.** What changes on every request is not stored: the CSRF token (the page is drawn with a
  placeholder, replaced per response) and the ``{% live %}`` fragments of the layout (clock, unread messages,
  queue badges), which are drawn again for each response from the context functions named in
  ``settings.PAGE_CACHE_LIVE_CONTEXT``.

The view's own checks (``area_view``: signed in, area, permission code) run before the cache is asked, and an
entry belongs to one user, so a cached page is never shown to anyone its view would not show it to. Requests with
a query string, with flash messages waiting, or while Redis is unreachable are drawn as usual."""
import logging
import re
import uuid
from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.module_loading import import_string
from django.utils.translation import get_language

log = logging.getLogger(__name__)

TTL = 600  # seconds: a backstop; the stamps are what make entries stale
CSRF_PLACEHOLDER = "pagecacheCsrfPlaceholder0"  # survives HTML escaping; replaced by the request's token
LIVE_RE = re.compile(r"<!--live:([\w/.-]+)-->.*?<!--/live-->", re.S)
DRAWING = "page_cache_drawing"  # context flag: the page is being drawn for the cache (live fragments marked)


def gen_key(name: str) -> str:
    return f"gen:{name}"


def _write_generations(names: tuple[str, ...]) -> None:
    try:
        cache.set_many({gen_key(n): uuid.uuid4().hex for n in names}, None)
    except Exception:  # noqa: BLE001 — Redis down: nothing can be read from it either
        log.warning("page generations not moved on (cache unavailable): %s", names, exc_info=True)


def bump(*names: str) -> None:
    """Move the named generations on now (readers inside this transaction's time see a change) and again after
    the transaction commits (a page drawn from the old rows in between is passed over)."""
    names = tuple(dict.fromkeys(names))
    if names:
        _write_generations(names)
        transaction.on_commit(lambda: _write_generations(names), robust=True)


def bump_on_change(model, names: Callable[[object, dict], Iterable[str]]) -> None:
    """Move on ``names(instance, signal kwargs)`` whenever a ``model`` row is saved or deleted."""
    def handler(sender, instance, **kwargs):
        bump(*names(instance, kwargs))

    post_save.connect(handler, sender=model, weak=False, dispatch_uid=f"pagecache-save-{model._meta.label}")
    post_delete.connect(handler, sender=model, weak=False, dispatch_uid=f"pagecache-delete-{model._meta.label}")


def _stamp(user, names: list[str], got: dict) -> tuple | None:
    from apps.accounts import authz_cache

    rights = authz_cache.request_generation(user)
    if rights is None:  # Redis unreachable
        return None
    return (rights, user.organization_id, user.is_superuser, *(got.get(gen_key(n)) for n in names))


def _read(user, keys: list[str]) -> dict | None:
    """``keys`` from Redis in one round trip (those fetched ahead with this request's page are taken from it);
    None without Redis."""
    ahead = getattr(user, "_pagecache_ahead", {})
    if all(k in ahead for k in keys):
        return {k: ahead.pop(k) for k in keys}
    try:
        return cache.get_many(keys)
    except Exception:  # noqa: BLE001
        log.warning("page cache unavailable", exc_info=True)
        return None


def _cached(user, key: str, names: list[str], ahead: list[str] = ()):
    """(stamp now, stored value if its stamp is the same); (None, None) without Redis. ``ahead``: more keys to
    read in the same round trip, kept on the user for ``_read``."""
    got = _read(user, [key, *map(gen_key, names), *ahead])
    if got is None:
        return None, None
    if ahead:
        user._pagecache_ahead = {k: got.get(k) for k in ahead}
    stamp = _stamp(user, names, got)
    entry = got.get(key)
    if stamp is not None and entry is not None and entry[0] == stamp:
        return stamp, entry[1]
    return stamp, None


def _store(key: str, stamp, value) -> None:
    try:
        cache.set(key, (stamp, value), TTL)
    except Exception:  # noqa: BLE001
        log.warning("page cache entry not stored", exc_info=True)


FIGURES: dict[str, Callable[[object], list[str]]] = {}  # name -> the generations of a user's figure


def figure(name: str, generations: Callable[[object], list[str]]) -> None:
    """Declare a per-user figure of the layout (unread messages, queue badges) and the generations it follows:
    a cached page reads the figures in the same round trip as itself."""
    FIGURES[name] = generations


def _figure_key(name: str, user) -> str:
    return f"fig:{name}:{user.pk}"


def _figure_keys(user) -> list[str]:
    return [k for name, gens in FIGURES.items() for k in (_figure_key(name, user), *map(gen_key, gens(user)))]


def figure_value(user, name: str, compute: Callable[[], object]):
    """The figure ``name`` (see ``figure``) of ``user``, computed again only when one of its generations, the
    user's rights or organisation moved on."""
    key = _figure_key(name, user)
    stamp, value = _cached(user, key, FIGURES[name](user))
    if value is None:
        value = compute()
        if stamp is not None:
            _store(key, stamp, value)
    return value


def _has_messages(request) -> bool:
    storage = getattr(request, "_messages", None)
    return storage is not None and len(storage) > 0


def live_context(request) -> dict:
    """The values of the layout's live fragments (``settings.PAGE_CACHE_LIVE_CONTEXT``): plain values only, so
    that a fragment drawn once for them is drawn alike for every request with the same values."""
    ctx = {"area": getattr(request, "area", "")}
    for path in settings.PAGE_CACHE_LIVE_CONTEXT:
        ctx.update(import_string(path)(request))
    return ctx


def _frozen(value):
    return tuple(map(_frozen, value)) if isinstance(value, list | tuple) else value


_fragments: dict = {}  # (template, language, live values) -> HTML, this process


def _fragment(name: str, ctx: dict) -> str:
    try:
        key = (name, get_language(), tuple(sorted((k, _frozen(v)) for k, v in ctx.items())))
        hash(key)
    except TypeError:  # a value that cannot be a key: draw it every time
        return render_to_string(name, ctx)
    html = _fragments.get(key)
    if html is None:
        if len(_fragments) > 2000:
            _fragments.clear()
        html = _fragments[key] = render_to_string(name, ctx)
    return html


def _fill(request, html: str) -> str:
    """The stored page with this request's live fragments and CSRF token."""
    if "<!--live:" in html:
        ctx = live_context(request)
        html = LIVE_RE.sub(lambda m: _fragment(m.group(1), ctx), html)
    return html.replace(CSRF_PLACEHOLDER, get_token(request))


def _page_key(request, page: str) -> str:
    return f"page:{page}:{request.user.pk}:{get_language()}"


def keys_ahead(request, page: str, generations: list[str]) -> list[str]:
    """What ``serve`` will read for this page, to fetch with the user's rights (``area_view(ahead=...)``)."""
    return [_page_key(request, page), *map(gen_key, generations), *_figure_keys(request.user)]


def serve(request, page: str, generations: list[str], draw: Callable[[dict], HttpResponse]) -> HttpResponse:
    """The page ``page`` for this request's user: from the cache while its stamp holds, else ``draw(extra)`` (the
    view's own rendering with ``extra`` added to its context), stored when it answered 200."""
    if request.method != "GET" or request.GET or _has_messages(request):
        return draw({})
    key = _page_key(request, page)
    stamp, entry = _cached(request.user, key, generations, ahead=_figure_keys(request.user))
    if stamp is None:
        return draw({})
    if entry is None:
        response = draw({"csrf_token": CSRF_PLACEHOLDER, DRAWING: True})
        if response.status_code != 200 or response.streaming:
            return response
        entry = (response["Content-Type"], response.content.decode(response.charset))
        _store(key, stamp, entry)
    content_type, html = entry
    return HttpResponse(_fill(request, html), content_type=content_type)
