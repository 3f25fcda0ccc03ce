"""Issue 19 §9, measured in a real browser: the institution's top bar (name, operator, last login, clock,
头寸, 风险保证金, the low-position warning, 跟单经理, 站内信) is one line at 1366 and 1440 px with every figure
in a tooltip and the ⓘ popover; on a 390 px phone the sidebar is an off-canvas menu, the offer page and the
case page do not scroll sideways, and the signing form's submit button is on screen and works. Screenshots
land in artifacts/screenshots/ (layout-*)."""
from datetime import timedelta

import pytest

from conftest import browser_login
from tests.browser.helpers import confirm

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}

# How far the bar's pieces sit from one line: every figure, the clock and the buttons share one row, and the
# bar is no taller than its tallest piece plus its own padding and border.
ONE_LINE = """() => {
  const bar = document.querySelector('header.topbar');
  const cs = getComputedStyle(bar);
  const chrome = parseFloat(cs.paddingTop) + parseFloat(cs.paddingBottom) + parseFloat(cs.borderBottomWidth)
               + parseFloat(cs.borderTopWidth);
  const pieces = [...bar.querySelectorAll('.topbar-info > *, .topbar-user > *')]
                 .filter(el => el.getClientRects().length);
  const tallest = Math.max(...pieces.map(el => el.getBoundingClientRect().height));
  const mids = pieces.map(el => { const r = el.getBoundingClientRect(); return r.top + r.height / 2; });
  return {height: bar.getBoundingClientRect().height, line: tallest + chrome,
          spread: Math.max(...mids) - Math.min(...mids), pieces: pieces.length};
}"""


def test_inst_top_bar_is_one_line_from_1366_and_the_menu_goes_off_canvas_on_a_phone(page, shot, cast, partners,
                                                                                    fund):
    from apps.accounts.models import Organization

    p = partners(1, margin="3000")[0]  # below the 5,000 threshold: the warning shows too
    Organization.objects.filter(pk=p.org.pk).update(follower=cast.of, name="深圳市南山区合作融资担保有限公司")
    fund(p.org, clerk=cast.st, risk="1500.00")
    browser_login(page, p.user, "inst")
    for width in (1366, 1440):
        page.set_viewport_size({"width": width, "height": 768})
        page.goto(page.base + "/inst/")
        m = page.evaluate(ONE_LINE)
        assert m["pieces"] >= 10, m  # name, 6 figures with the warning, info button, clock, 站内信, user, 退出
        assert m["spread"] < 4 and m["height"] <= m["line"] + 1, (width, m)
        assert page.evaluate("document.scrollingElement.scrollWidth") <= width
    bar = page.locator("#topbar-info")
    for label in ("操作员", "上次登录", "跟单经理", "可用头寸", "风险保证金", "保证金头寸不足"):
        assert bar.locator(f"[title*='{label}']").count() == 1, label  # the full text as a tooltip
    page.set_viewport_size({"width": 1366, "height": 768})
    shot(page, "layout-1-inst-home-1366")
    page.click("[data-info-toggle]")
    assert "expanded" in bar.get_attribute("class")
    assert bar.locator("text=风险保证金").is_visible() and "¥1,500.00" in bar.inner_text()
    shot(page, "layout-2-inst-header-details-1366")
    page.mouse.click(700, 700)  # a click elsewhere closes it
    assert "expanded" not in bar.get_attribute("class")

    page.set_viewport_size(PHONE)
    page.goto(page.base + "/inst/")
    sidebar = page.locator("aside.sidebar")
    page.wait_for_timeout(300)
    assert sidebar.bounding_box()["x"] + sidebar.bounding_box()["width"] <= 0  # off canvas
    assert page.locator("[data-testid=low-position]").is_visible()  # the warning stays on a phone
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 390
    page.click(".menu-toggle")
    page.wait_for_timeout(300)
    assert sidebar.bounding_box()["x"] == 0 and sidebar.locator("text=可受理贷款查询").is_visible()
    shot(page, "layout-3-inst-menu-390")
    page.click("text=可受理贷款查询")
    assert "可受理贷款查询" in page.inner_text("h1.page-title")
    assert page.locator("[data-testid=toolbar-refresh]").is_visible()


def test_offer_and_case_pages_work_on_a_390_px_phone(page, shot, cast, partners, fund, ready_app):
    from apps.cases import services as cases
    from apps.cases.models import Case
    from apps.common import clock
    from apps.dispatch import services as dispatch
    from apps.dispatch.models import Candidate

    partner = partners(1)[0]
    fund(partner.org, clerk=cast.st, cash="20000")
    app = ready_app()  # committed: the on_ready hook has dispatched it to the one partner
    cand = Candidate.objects.get(dispatch=app.dispatches.get(), institution=partner.org)
    dispatch.offer_accept(actor=partner.user, candidate_id=cand.pk)
    dispatch.client_choose(actor=cast.cm, application_id=app.pk, candidate_id=cand.pk)
    case = Case.objects.get(application=app)
    cases.case_allocate(actor=partner.user, case_id=case.pk, officer_id=partner.user.pk)
    cases.case_start_review(actor=partner.user, case_id=case.pk)
    cases.case_book_signing(actor=partner.user, case_id=case.pk, at=clock.now() - timedelta(minutes=1),
                            place="南山营业部")
    app = ready_app()
    offer = Candidate.objects.get(dispatch=app.dispatches.get(), institution=partner.org)

    page.set_viewport_size(PHONE)
    browser_login(page, partner.user, "inst")
    page.goto(f"{page.base}/inst/dispatch/offers/{offer.pk}/")
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 390
    accept = page.locator("[data-testid=accept]")
    accept.scroll_into_view_if_needed()
    box = accept.bounding_box()
    assert accept.is_visible() and box["x"] >= 0 and box["x"] + box["width"] <= 390
    shot(page, "layout-4-offer-390")
    accept.click()
    page.locator("[data-testid=confirm-modal]").wait_for(state="visible")
    ok = page.locator("[data-testid=confirm-ok]").bounding_box()
    assert ok["x"] >= 0 and ok["x"] + ok["width"] <= 390 and ok["y"] + ok["height"] <= 844  # reachable on a phone
    shot(page, "layout-4b-offer-modal-390")
    confirm(page)
    assert "已受理" in page.content()
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 390

    page.goto(f"{page.base}/inst/cases/{case.pk}/")
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 390
    sign = page.locator("[data-testid=sign]")
    form = page.locator("form", has=sign)
    form.locator("[name=note]").fill("客户已签约")
    sign.scroll_into_view_if_needed()
    box = sign.bounding_box()
    assert sign.is_visible() and box["x"] >= 0 and box["x"] + box["width"] <= 390
    note_box = form.locator("[name=note]").bounding_box()
    assert note_box["width"] >= 390 - 80  # the form is full width
    shot(page, "layout-5-case-390")
    confirm(page, sign)
    assert "已记录面签" in page.content()
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 390
    page.goto(f"{page.base}/inst/cases/")
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 390  # the table scrolls in its own box
    shot(page, "layout-6-case-list-390")
