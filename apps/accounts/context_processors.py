from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from . import authz_cache
from .models import Area, Menu

AREA_THEMES = {
    Area.OPS: {"title": "数银业务工作台", "accent": "ops"},
    Area.PLATFORM: {"title": "数银在线后台", "accent": "platform"},
    Area.INST: {"title": "机构后台", "accent": "inst"},
}


def _menu_rows(area: str) -> tuple[list[Menu], dict[int, str]]:
    rows = list(Menu.objects.filter(area=area, is_active=True).order_by("order", "id"))
    urls = {}
    for row in rows:
        if row.url_name:
            try:
                urls[row.pk] = reverse(row.url_name)
            except NoReverseMatch:
                pass
    return rows, urls


def _inst_menu_rows(root_id: int) -> tuple[list, dict[str, str]]:
    """The institution area's menu as institution ``root_id`` arranged it (``inst_menu``), hidden rows left out."""
    from .inst_menu import effective_rows

    base, base_urls = _menu_rows(Area.INST)
    rows = [r for r in effective_rows(root_id, base) if not r.is_hidden]
    urls = {f"m{pk}": url for pk, url in base_urls.items()}
    return rows, urls


def menu_tree_for(user, area: str, current_path: str) -> list[dict]:
    """The area's menu tree with only the items this user may open (menus and rights from ``authz_cache``).
    In the institution area, the user's institution's own arrangement of it (菜单管理)."""
    perms = user.get_all_permissions()
    org = user.organization
    if area == Area.INST and org is not None and org.is_institution:
        root_id = org.root_id
        rows, urls = authz_cache.area_menus(user, area, lambda: _inst_menu_rows(root_id), variant=root_id)
    else:
        rows, urls = authz_cache.area_menus(user, area, lambda: _menu_rows(area))
    # The current page's item is the one with the longest URL that prefixes the path.
    matching = [u for u in urls.values() if current_path == u or (u != f"/{area}/" and current_path.startswith(u))]
    best = max(matching, key=len, default=None)
    children: dict[int | None, list[Menu]] = {}
    for row in rows:
        children.setdefault(row.parent_id, []).append(row)

    def build(menu: Menu) -> dict | None:
        for code in (menu.permission, getattr(menu, "extra_permission", "")):
            if code and not (user.is_superuser or code in perms):
                return None
        url = urls.get(menu.pk, "")
        if menu.url_name and not url:
            return None
        kids = [n for n in (build(c) for c in children.get(menu.pk, [])) if n]
        if not menu.url_name and not kids:
            return None
        active = bool(url) and url == best
        return {"title": menu.title, "url": url, "icon": menu.icon, "children": kids,
                "active": active or any(k["active"] for k in kids)}

    return [n for n in (build(m) for m in children.get(None, [])) if n]


def _signed_in_page(request) -> bool:
    match = getattr(request, "resolver_match", None)
    return request.user.is_authenticated and match is not None and match.url_name != "login"


def area_shell(request):
    area = getattr(request, "area", "")
    if not area:
        return {}
    ctx = {"area": area, "area_base": f"{area}/base.html", "area_theme": AREA_THEMES[area]}
    if _signed_in_page(request):
        ctx["menu_tree"] = menu_tree_for(request.user, area, request.path)
    return ctx


def area_live(request):
    """The layout's parts that change from one request to the next: drawn again for every response, also for a
    page served from the page cache (``settings.PAGE_CACHE_LIVE_CONTEXT``, ``{% live %}``)."""
    if not getattr(request, "area", ""):
        return {}
    ctx = {"now": timezone.now().replace(second=0, microsecond=0)}  # the clock shows minutes (and ticks in JS)
    if _signed_in_page(request):
        from apps.messaging.selectors import unread_badge

        ctx["unread_messages"] = unread_badge(user=request.user)
    return ctx
