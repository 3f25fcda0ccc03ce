"""From the client's choice to the completed case, in a real browser and in Chinese: the platform administrator
records the institution's commission agreement; the institution's admin allocates the case to itself, reviews,
books and records the signing and disburses; 跟单员 confirms the amount, the CM the client's receipt; 跟单员
proposes a commission adjustment that 跟单经理 approves (佣金金额确认, four eyes) and the statement is issued
with the agreement it applied; the institution pays from its cash account; 结算员 confirms the receipt; 跟单员
releases the hold; both sides rate — with screenshots of the case and settlement pages."""
from datetime import timedelta

import pytest
from django.utils import timezone

from conftest import browser_login, said, switch
from tests.browser.helpers import confirm

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
    from apps.members.services import CONSENT_SCOPE, consent_record

    consent_record(actor=cast.cm, member=case.application.member, scope=CONSENT_SCOPE.format(order_no=order_no))

    # the platform keeps the institution's commission agreement: 1% of the loan, at least ¥300.00
    browser_login(page, cast.admin, "platform")
    page.click("text=佣金协议")
    said(page, "暂无佣金协议")
    page.click("[data-testid=new-agreement]")
    page.select_option("#id_institution", str(partner.org.pk))
    page.select_option("#id_product", str(case.application.product_id))
    page.fill("#id_rate_percent", "1.00")
    page.fill("#id_minimum", "300")
    page.fill("#id_note", "2026 年度合作协议")
    shot(page, "settlement-0-platform-agreement-form")
    page.click("[data-testid=save-agreement]")
    said(page, "已新增佣金协议")
    said(page, "费率 1%，最低佣金 300.00 元，客户服务费按产品默认")
    shot(page, "settlement-0b-platform-agreements")
    agreement_no = page.inner_text("[data-testid=agreements] tbody tr td >> nth=0")

    switch(page, partner.user, "inst")
    page.click("text=案件办理")
    assert order_no in page.content() and "待分配" in page.content()
    shot(page, "settlement-1-case-list")
    page.click(f"text={order_no}")
    shot(page, "settlement-1b-case-new")
    # the client's documents (and ID photos, the client consented) are there to check, each downloadable
    docs = page.locator("[data-testid=documents] a")
    assert docs.count() == 2 + case.application.documents.count()
    href = page.get_attribute(f"[data-testid=documents] a:has-text('{case.application.documents.first().name}')",
                              "href")
    got = page.request.get(page.base + href)
    assert got.status == 200 and got.headers["content-type"] == "image/png"
    page.select_option("#id_officer", str(partner.user.pk))
    page.click("[data-testid=allocate]")
    said(page, "已分配给")
    page.fill("#id_note", "资料齐全，开始审核")
    page.click("[data-testid=review]")
    said(page, "已开始审核")
    assert page.locator("[data-testid=cannot-lend]").inner_text() == "标记无法放款"
    at = timezone.localtime()  # the signing is recorded right after: not before the booked time
    page.fill("#id_at", at.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#id_place", "南山区科技园营业部")
    page.click("[data-testid=book]")
    said(page, "已预约面签")
    shot(page, "settlement-2-case-signing")
    page.fill("#id_note", "客户已签署借款合同")
    confirm(page, "[data-testid=sign]")
    said(page, "已记录面签")
    page.fill("#id_amount", "50000")
    page.fill("#id_contract_no", "HT-2026-0001")
    page.fill("#id_annual_rate", "6.5")
    confirm(page, "[data-testid=disburse]")
    said(page, "已录入放款 ¥50,000.00")
    shot(page, "settlement-3-case-disbursed")
    s = Settlement.objects.get(case=case)

    switch(page, cast.fo, "ops")  # 跟单员
    page.click("text=结算单 >> nth=0")
    page.click(f"text={s.number}")
    shot(page, "settlement-3b-ops-confirm-amount")
    confirm(page, "[data-testid=confirm-amount]")
    said(page, "已确认放款金额 ¥50,000.00")

    switch(page, cast.cm, "ops")
    page.goto(f"{page.base}/ops/settlements/{s.pk}/")
    confirm(page, "[data-testid=confirm-client]")
    said(page, "佣金已计算（¥500.00），待跟单员确认佣金金额")

    # 佣金金额确认: 跟单员 sees the terms that applied and proposes other figures with a reason
    switch(page, cast.fo, "ops")
    page.goto(f"{page.base}/ops/settlements/{s.pk}/")
    said(page, f"佣金协议 {agreement_no}")
    page.click("text=金额有误？提出调整")
    page.fill("#id_commission", "480.00")
    page.fill("#id_service_fee", "20.00")
    page.fill("#id_reason", "协议补充条款：客户服务费 20 元由机构代收，佣金相应减少")
    shot(page, "settlement-3c-ops-commission-confirm")
    page.click("[data-testid=adjust-commission]")
    said(page, "待另一位同事复核")
    shot(page, "settlement-3d-ops-adjustment-pending")
    # 跟单经理 is the second person
    switch(page, cast.of, "ops")
    page.goto(f"{page.base}/ops/settlements/{s.pk}/")
    said(page, "协议补充条款")
    page.fill("#id_note", "已核对补充条款原件")
    shot(page, "settlement-3e-ops-adjustment-review")
    confirm(page, "[data-testid=approve-adjustment]")
    said(page, "佣金调整已复核通过，结算账单已出具")
    said(page, "经复核调整")
    shot(page, "settlement-3f-ops-statement-issued")
    # the settlement steps are for the seed's roles: 客服 sees only that the case is in settlement
    switch(page, cast.cs, "ops")
    page.goto(f"{page.base}/ops/applications/{case.application_id}/")
    assert page.inner_text("[data-testid=app-status]") == "结算中"
    assert "已放款" not in page.content() and "出具结算账单" not in page.content()
    shot(page, "settlement-3g-ops-cs-sees-in-settlement")

    # the institution lets the due date pass: the sweep reminds it and gives 跟单员 a follow-up task
    clock_reset.shift(timedelta(days=8))
    services.settlements_sweep()
    switch(page, cast.fo, "ops")
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
    said(page, f"佣金协议 {agreement_no}")  # the institution sees which terms applied
    shot(page, "settlement-6-inst-statement")
    confirm(page, "[data-testid=pay-cash]")
    said(page, "已从现金账户支付 ¥500.00")

    switch(page, cast.st, "ops")
    page.goto(f"{page.base}/ops/settlements/{s.pk}/")
    shot(page, "settlement-7-ops-receipt")
    confirm(page, "[data-testid=confirm-receipt]")
    said(page, "已确认收款 ¥500.00")

    switch(page, cast.fo, "ops")
    page.goto(f"{page.base}/ops/settlements/{s.pk}/")
    confirm(page, "[data-testid=release]")
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
