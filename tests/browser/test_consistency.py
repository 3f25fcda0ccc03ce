"""Issue 19 §8: a score reads the same on every page — 可操作行情 shows 62.15, not the stored 62.1479 — in a real
browser at 1366 px."""
from decimal import Decimal

import pytest

from conftest import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_market_shows_the_score_to_two_decimals(page, shot, partners):
    from apps.dispatch.models import Profile

    partner = partners(1)[0]
    Profile.objects.filter(pk=partner.profile.pk).update(score=Decimal("62.1479"))
    browser_login(page, partner.user, "inst")
    page.goto(f"{page.base}/inst/reports/market/")
    text = page.inner_text("main") if page.query_selector("main") else page.inner_text("body")
    assert "62.15" in text and "62.1479" not in text
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    shot(page, "consistency-market-score")
