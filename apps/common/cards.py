"""Home-page cards (工作台 / 机构首页 dashboards). Each app may have ``home.py`` with ``ops_cards(request)``,
``inst_cards(request)`` or ``platform_cards(request)`` returning ``Card``s for what it knows (one query per
card at most, so the home page's query count is fixed); the home view shows them in ``order``."""
from dataclasses import dataclass

from .discovery import app_modules


@dataclass(frozen=True)
class Card:
    title: str
    value: object
    url_name: str = ""
    note: str = ""
    tone: str = ""  # "" | warning | danger | success
    order: int = 50
    query: str = ""  # the filter of the linked list, e.g. "status=draft"

    @property
    def link(self) -> str:
        from django.urls import NoReverseMatch, reverse

        try:
            url = reverse(self.url_name) if self.url_name else ""
        except NoReverseMatch:
            return ""
        return f"{url}?{self.query}" if url and self.query else url


def cards_for(request) -> list[Card]:
    found: list[Card] = []
    for _config, module in app_modules("home"):
        provider = getattr(module, f"{request.area}_cards", None)
        if provider is not None:
            found.extend(provider(request))
    return sorted(found, key=lambda c: c.order)
