"""Issue 19 §8: every page is titled as its menu entry. Each menu entry of apps/*/access.py MENUS is opened by a
user holding its permission code; the page's h1 (and <title>) must equal the menu label."""
import html
import re
from importlib import import_module

import pytest
from django.apps import apps as django_apps
from django.urls import reverse

pytestmark = pytest.mark.django_db

# Entries whose page is deliberately titled otherwise (the menu names the place, the page its content).
INTENDED = {
    "ops.home": "the home page greets its user (a dashboard, not a list)",
    "platform.home": "the home page greets its user",
    "inst.home": "the home page greets its user",
}


def _menus():
    for config in django_apps.get_app_configs():
        if config.name.startswith("apps."):
            try:
                module = import_module(f"{config.name}.access")
            except ModuleNotFoundError:
                continue
            yield from getattr(module, "MENUS", [])


def _holder(cast, item):
    users = {"platform": [cast.admin], "inst": [cast.a_admin, cast.a_officer, cast.a_viewer],
             "ops": [cast.cm, cast.tl, cast.cs, cast.lr, cast.lrs, cast.of, cast.fo, cast.st, cast.cc, cast.bd]}
    return next((u for u in users[item.area] if u.has_perm(item.perm)), None)


def test_every_menu_entry_opens_a_page_titled_as_the_entry(client, cast, login):
    checked, wrong, unheld = [], [], []
    for item in _menus():
        if not item.url_name or item.code in INTENDED:
            continue
        user = _holder(cast, item)
        if user is None:
            unheld.append(item.code)
            continue
        client.logout()
        login(user, item.area)
        resp = client.get(reverse(item.url_name))
        assert resp.status_code == 200, (item.code, resp.status_code)
        text = resp.content.decode()
        h1 = re.search(r'<h1 class="page-title">(.*?)</h1>', text, re.S)
        title = re.search(r"<title>(.*?) · ", text, re.S)
        # a <small> after the title may qualify it (调账与审批 · 双人复核); the title itself is the menu label
        heading = re.sub(r"<small.*?</small>", "", h1.group(1), flags=re.S) if h1 else None
        shown = html.unescape(re.sub(r"<[^>]+>", "", heading).strip()) if h1 else None
        tab = html.unescape(title.group(1).strip()) if title else None
        if shown != item.title or tab != item.title:
            wrong.append(f"{item.code}: menu {item.title!r}, h1 {shown!r}, title {tab!r}")
        checked.append(item.code)
    assert wrong == [], "\n".join(wrong)
    assert unheld == [] and len(checked) > 50
