"""From the client's choice to the completed case, in a real browser and in Chinese: the institution's admin
allocates the case to itself, reviews, books and records the signing and disburses; 跟单 confirms the amount,
the CM the client's receipt; the institution pays from its cash account; 结算员 confirms the receipt; 跟单
releases the hold; both sides rate — with screenshots of the case and settlement pages."""
from datetime import timedelta

import pytest
from django.utils import timezone

from conftest import browser_login, said, switch

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def chosen(cast, partners, ready_app, fund):
    """chosen() → (partner, case): two funded partners accept, the client chooses the first. (With real
    commits the review's on_ready hook has already started the dispatch when ready_app returns.)"""
    from apps.cases.models import Case
    from apps.dispatch import services as dispatch
    from apps.dispatch.models import Candidate, Dispatch

    def _make():
        ps = partners(2)
        for p in ps:
            fund(p.org, clerk=cast.st, cash="20000")
        app = ready_app()
        d = Dispatch.objects.filter(application=app).latest("pk")
        cands = list(Candidate.objects.filter(dispatch=d).order_by("rank"))
        for c in cands:
            dispatch.offer_accept(actor=next(p.user for p in ps if p.org.pk == c.institution_id), candidate_id=c.pk)
        dispatch.client_choose(actor=cast.cm, application_id=app.pk, candidate_id=cands[0].pk)
        return next(p for p in ps if p.org.pk == cands[0].institution_id), Case.objects.get(candidate=cands[0])
    return _make


def test_settlement_journey(page, shot, cast, chosen, clock_reset):
    from apps.applications.models import Application, Status
    from apps.settlement import services
    from apps.settlement.models import Settlement

    partner, case = chosen()
    order_no = case.application.order_no
    page.on("dialog", lambda d: d.accept())

    browser_login(page, partner.user, "inst")
    page.click("text=案件办理")
    assert order_no in page.content() and "待分配" in page.content()
    shot(page, "settlement-1-case-list")
    page.click(f"text={order_no}")
    shot(page, "settlement-1b-case-new")
    page.select_option("#id_officer", str(partner.user.pk))
    page.click("[data-testid=allocate]")
    said(page, "已分配给")
    page.fill("#id_note", "资料齐全，开始审核")
    page.click("[data-testid=review]")
    said(page, "已开始审核")
    at = timezone.localtime()  # the signing is recorded right after: not before the booked time
    page.fill("#id_at", at.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#id_place", "南山区科技园营业部")
    page.click("[data-testid=book]")
    said(page, "已预约面签")
    shot(page, "settlement-2-case-signing")
    page.fill("#id_note", "客户已签署借款合同")
    page.click("[data-testid=sign]")
    said(page, "已记录面签")
    page.fill("#id_amount", "50000")
    page.fill("#id_contract_no", "HT-2026-0001")
    page.fill("#id_annual_rate", "6.5")
    page.click("[data-testid=disburse]")
    said(page, "已录入放款 ¥50,000.00")
    shot(page, "settlement-3-case-disbursed")
    s = Settlement.objects.get(case=case)

    switch(page, cast.of, "ops")
    page.click("text=结算单 >> nth=0")
    page.click(f"text={s.number}")
    shot(page, "settlement-3b-ops-confirm-amount")
    page.click("[data-testid=confirm-amount]")
    said(page, "已确认放款金额 ¥50,000.00")

    switch(page, cast.cm, "ops")
    page.goto(f"{page.base}/ops/settlements/{s.pk}/")
    page.click("[data-testid=confirm-client]")
    said(page, "结算账单已出具（应付 ¥500.00）")

    # the institution lets the due date pass: the sweep reminds it and gives 跟单 a follow-up task
    clock_reset.shift(timedelta(days=8))
    services.settlements_sweep()
    switch(page, cast.of, "ops")
    page.click("text=跟单员联系")
    said(page, "第 1 级")
    page.fill("input[name=note]", "已电话联系机构财务，承诺今日付款")
    shot(page, "settlement-4-ops-follow-up")
    page.click("button:has-text('完成')")
    said(page, f"已记录对 {partner.org.name} 的联系")

    switch(page, partner.user, "inst")
    page.click("text=结算管理")
    said(page, "逾期 1 天")
    shot(page, "settlement-5-inst-list-overdue")
    page.click(f"text={s.number}")
    said(page, "当前现金余额 ¥20,000.00")
    shot(page, "settlement-6-inst-statement")
    page.click("[data-testid=pay-cash]")
    said(page, "已从现金账户支付 ¥500.00")

    switch(page, cast.st, "ops")
    page.goto(f"{page.base}/ops/settlements/{s.pk}/")
    shot(page, "settlement-7-ops-receipt")
    page.click("[data-testid=confirm-receipt]")
    said(page, "已确认收款 ¥500.00")

    switch(page, cast.of, "ops")
    page.goto(f"{page.base}/ops/settlements/{s.pk}/")
    page.click("[data-testid=release]")
    said(page, "已恢复机构头寸")
    shot(page, "settlement-8-ops-rating")
    page.check("input[name=stars][value='4']")
    page.fill("#id_comment", "放款及时，配合顺畅")
    page.click("[data-testid=rate]")
    said(page, "已提交评价（4 星）")

    switch(page, partner.user, "inst")
    page.goto(f"{page.base}/inst/settlements/{s.pk}/")
    page.check("input[name=stars][value='5']")
    page.fill("#id_comment", "跟单专业，结算清楚")
    page.click("[data-testid=rate]")
    said(page, "放款及时，配合顺畅")  # both rated: the other side's rating shows
    shot(page, "settlement-9-inst-completed")
    page.goto(f"{page.base}/inst/cases/{case.pk}/")
    shot(page, "settlement-10-case-final")

    switch(page, cast.of, "ops")
    page.goto(f"{page.base}/ops/settlements/{s.pk}/")
    said(page, "跟单专业，结算清楚")
    shot(page, "settlement-11-ops-completed")
    assert Application.objects.get(order_no=order_no).status == Status.COMPLETED
