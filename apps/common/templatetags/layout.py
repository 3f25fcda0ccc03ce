"""The signed-in layout's shared parts (templates/layouts/shell.html), drawn once and reused.

* ``{% sidebar menu_tree %}``: the area menu as HTML, kept per process for each distinct tree (titles, links,
  icons, the active item): the tree itself is the user's menus under the current rights and menu generations
  (``accounts.authz_cache``), so a change of menus or rights gives a different tree and a freshly drawn menu,
  and nothing stale can be shown. Most users of a role share a handful of trees.
* ``{% static_url "path" %}``: a static file's URL, looked up in the manifest once per process (files change only
  with a deployment, which restarts the processes)."""
from functools import lru_cache

from django import template
from django.templatetags.static import static
from django.utils.html import escape
from django.utils.safestring import mark_safe

register = template.Library()

_MENUS: dict[tuple, str] = {}
_MENUS_MAX = 2048


def _freeze(nodes) -> tuple:
    return tuple((n["title"], n["url"], n["icon"], n["active"], _freeze(n["children"])) for n in nodes)


def _draw(tree: tuple) -> str:
    out = []
    for title, url, icon, active, children in tree:
        if children:
            out.append(f'<div class="menu-group{" open" if active else ""}">'
                       f'<div class="menu-group-title"><i class="bi bi-{escape(icon or "folder")}"></i> {escape(title)}</div>')
            for c_title, c_url, _c_icon, c_active, _kids in children:
                out.append(f'<a class="menu-item sub{" active" if c_active else ""}" href="{escape(c_url)}">'
                           f"{escape(c_title)}</a>")
            out.append("</div>")
        else:
            out.append(f'<a class="menu-item{" active" if active else ""}" href="{escape(url)}">'
                       f'<i class="bi bi-{escape(icon or "dot")}"></i> {escape(title)}</a>')
    return "\n".join(out)


@register.simple_tag
def sidebar(menu_tree) -> str:
    tree = _freeze(menu_tree or ())
    html = _MENUS.get(tree)
    if html is None:
        if len(_MENUS) >= _MENUS_MAX:
            _MENUS.clear()
        html = _MENUS[tree] = _draw(tree)
    return mark_safe(html)  # noqa: S308 — every value escaped in _draw


@register.simple_tag
@lru_cache(maxsize=64)
def static_url(path: str) -> str:
    return static(path)
