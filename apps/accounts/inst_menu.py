"""Reads of an institution's own arrangement of its back-office menu (机构后台 一.3 菜单管理).

数银 declares the institution area's menu (``Menu`` rows, ``access.py``); an institution's administrator may
rename, reorder, hide and regroup those entries and add groups of its own (``InstitutionMenu``). The sidebar and
the management page both read the *effective* rows built here: 数银's rows with the institution's changes laid
over them. An entry 数银 adds later, which the institution has not arranged, appears in its default place.

Keys: ``m<Menu.pk>`` for a 数银 entry, ``g<InstitutionMenu.pk>`` for a group of the institution's own."""
from dataclasses import dataclass, field

from .models import Area, InstitutionMenu, Menu


@dataclass
class MenuRow:
    pk: str  # the key, used as the row's identity by ``menu_tree_for``
    parent_id: str | None
    title: str
    default_title: str
    url_name: str
    permission: str  # the code the entry's page checks (数银's)
    extra_permission: str = ""  # a further code the institution bound to the entry
    icon: str = ""
    order: int = 0
    is_hidden: bool = False
    own_group: bool = False
    entry_id: int | None = None
    children: list = field(default_factory=list)

    @property
    def is_group(self) -> bool:
        return not self.url_name


def base_rows() -> list[Menu]:
    return list(Menu.objects.filter(area=Area.INST, is_active=True).order_by("order", "id"))


def effective_rows(root_id: int, menus: list[Menu] | None = None, entries=None) -> list[MenuRow]:
    """数银's institution menu with institution ``root_id``'s arrangement laid over it (hidden rows included:
    the caller drops them). Two queries (one when ``menus`` is given), whatever the number of entries."""
    menus = base_rows() if menus is None else menus
    entries = list(InstitutionMenu.objects.filter(organization_id=root_id)) if entries is None else entries
    by_menu = {e.menu_id: e for e in entries if e.menu_id}
    by_pk = {e.pk: e for e in entries}

    def key_of(entry: InstitutionMenu) -> str:
        return f"m{entry.menu_id}" if entry.menu_id else f"g{entry.pk}"

    rows = []
    for e in entries:
        if e.menu_id is None:
            rows.append(MenuRow(pk=f"g{e.pk}", parent_id=None, title=e.title, default_title="", url_name="",
                                permission="", icon=e.icon or "folder", order=e.order, is_hidden=e.is_hidden,
                                own_group=True, entry_id=e.pk))
    for m in menus:
        e = by_menu.get(m.pk)
        if e is None:
            parent = f"m{m.parent_id}" if m.parent_id else None
            rows.append(MenuRow(pk=f"m{m.pk}", parent_id=parent, title=m.title, default_title=m.title,
                                url_name=m.url_name, permission=m.permission, icon=m.icon, order=m.order))
            continue
        parent = key_of(by_pk[e.parent_id]) if e.parent_id in by_pk else None
        rows.append(MenuRow(pk=f"m{m.pk}", parent_id=parent, title=e.title or m.title, default_title=m.title,
                            url_name=m.url_name, permission=m.permission, extra_permission=e.permission,
                            icon=m.icon, order=e.order, is_hidden=e.is_hidden, entry_id=e.pk))
    keys = {r.pk for r in rows}
    for r in rows:  # a parent 数银 retired (inactive): the entry shows at the top level rather than vanish
        if r.parent_id and r.parent_id not in keys:
            r.parent_id = None
    rows.sort(key=lambda r: (r.order, r.pk))
    return rows


def rows_as_tree(rows: list[MenuRow]) -> list[MenuRow]:
    """Top-level rows, each with ``children`` filled in (in order), for the management page."""
    top = []
    by_key = {r.pk: r for r in rows}
    for r in rows:
        r.children = []
    for r in rows:
        if r.parent_id and r.parent_id in by_key:
            by_key[r.parent_id].children.append(r)
        else:
            top.append(r)
    return top


def is_customised(root_id: int) -> bool:
    return InstitutionMenu.objects.filter(organization_id=root_id).exists()
