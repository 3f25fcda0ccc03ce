"""The whole journey in a real browser, in Chinese, across the three areas (issue #10).

平台管理员 creates a loan product and adds it to three partner institutions' dispatch profiles; 客户经理
registers a client, 客服 verifies the client's identity; 客户经理 enters the application with its documents and
submits it; 客服 passes it, 贷审 confirms the loan type (product) and the case, and the system dispatches it to
the three institutions, each offer with its own 24 hours; the first acceptance moves the application on to the
client's choice at once, a second institution accepts (the holds confirmed in a dialog) while the third has not
answered; 客户经理 records the client's choice (the other hold is released, the third offer withdrawn); the
chosen institution allocates, reviews, books and records the signing and disburses; 跟单员 confirms the amount,
客户经理 the client's receipt, 跟单员 the computed commission (佣金金额确认); the due date passes and 跟单员 follows
up; the institution pays from its cash account, 结算员 confirms the receipt, 跟单员 releases the hold; both sides
rate;
客户经理 then files a complaint for the client against the institution, the complaint centre routes it to the
institution, which reports back, and the complaint centre closes it with a fine that 结算员 approves.

Everything a person does is clicked in the browser; Python only seeds the partner institutions (through the
services), moves the clock and runs the sweep beat would run, and checks the books at the end. Screenshots:
artifacts/screenshots/journey-NN-<what>.png.
"""
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from conftest import said
from tests.browser.helpers import confirm, pick_region, sign_in as browser_login, switch
from tests.fixtures.files import png_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PNG = {"name": "scan.png", "mimeType": "image/png", "buffer": png_bytes()}
PRODUCT = "旅程经营贷"
CLIENT = "孙晓梅"
CLIENT_ID = "440305198806154727"


def test_full_journey(page, shot, cast, partners, fund, clock_reset):
    from apps.applications.models import Application, Status
    from apps.cases.models import Case
    from apps.complaints.models import Complaint
    from apps.dispatch.models import Candidate, Dispatch
    from apps.dispatch.services import HOLD_REF
    from apps.positions.models import Account, Hold
    from apps.positions.selectors import ledger_check
    from apps.positions.services import institution_accounts
    from apps.settlement.models import Settlement

    # Seeded through the services (onboarding is not under test here): three institutions serving 广东省 and
    # individual clients, each with ¥10,000 margin, ¥5,000 cash and ¥1,000 risk margin.
    ps = partners(3)
    for p in ps:
        fund(p.org, clerk=cast.st, cash="5000", risk="1000")
    by_org = {p.org.pk: p for p in ps}

    n = iter(range(1, 100))

    def snap(what):
        page.evaluate("window.scrollTo(0, 0)")  # a scrolled page shifts the sticky sidebar in a full-page shot
        shot(page, f"journey-{next(n):02d}-{what}")

    # ---- platform admin: a new product, offered by the three partners ----
    browser_login(page, cast.admin, "platform")
    page.click("text=贷款产品")
    page.click("text=新增产品")
    page.fill("#id_code", "journey-business")
    page.fill("#id_name", PRODUCT)
    page.select_option("#id_category", "business")
    page.fill("#id_description", "小微企业主经营周转")
    page.fill("#id_min_amount", "20000")
    page.fill("#id_max_amount", "500000")
    page.fill("#id_hold_amount", "2000")
    page.fill("#id_commission_rate", "0.0120")
    page.fill("#id_commission_min", "300")
    page.fill("#id_service_fee", "200")
    page.fill("#id_checklist_text", "身份证\n营业执照\n银行流水")
    snap("platform-product-form")
    page.click("button:has-text('保存')")
    said(page, f"产品“{PRODUCT}”已保存")
    snap("platform-product-list")

    page.click("text=机构派发参数")
    for i, p in enumerate(ps):
        page.click(f"tr:has-text('{p.org.name}') >> text=编辑")
        page.get_by_label(PRODUCT).check()
        if i == 0:
            snap("platform-profile-edit")
        page.click("button:has-text('保存')")
        said(page, f"“{p.org.name}”的派发参数已保存")
    snap("platform-profiles")

    # ---- 客户经理 registers the client; 客服 verifies the identity ----
    switch(page, cast.cm, "ops")
    page.click("text=会员管理")
    page.click("text=登记新客户")
    page.fill("#id_real_name", CLIENT)
    page.fill("#id_id_number", CLIENT_ID)
    page.fill("#id_mobile", "13925550123")
    page.fill("#id_address", "广东省深圳市南山区科技园南区 8 栋")
    page.select_option("#id_client_type", "individual")
    page.set_input_files("#id_id_photo_front", PNG)
    page.set_input_files("#id_id_photo_back", PNG)
    snap("ops-member-register")
    page.click("button:has-text('提交登记')")
    said(page, f"已登记会员 {CLIENT}")
    assert CLIENT_ID not in page.content()  # masked on the page
    member_url = page.url
    snap("ops-member-registered")

    switch(page, cast.cs, "ops")
    page.goto(member_url)
    confirm(page, "button:has-text('人工认证通过')")
    said(page, "已认证")

    # ---- 客户经理 enters and submits the application with its documents ----
    switch(page, cast.cm, "ops")
    page.goto(member_url)
    page.click("text=录入贷款申请")
    page.select_option("#id_product", label=PRODUCT)
    page.fill("#id_amount", "80000")
    page.fill("#id_term_months", "24")
    pick_region(page, "region_code", "广东省", "深圳市", "南山区")
    page.fill("#id_purpose", "门店扩张，采购设备")
    page.check("#id_consent")
    snap("ops-application-form")
    page.click("button:has-text('保存草稿')")
    said(page, "请上传资料后提交")
    app = Application.objects.get(member__id_number=CLIENT_ID)
    for name in ("身份证", "营业执照", "银行流水"):
        page.select_option("#id_name", name)
        page.set_input_files("#id_file", PNG)
        page.click("button:has-text('上传')")
        said(page, f"已上传：{name}")
    confirm(page, "button:has-text('提交审核')")
    said(page, "待客服审核")
    snap("ops-application-submitted")

    # ---- 客服 passes; 贷审 confirms, and the system dispatches it ----
    switch(page, cast.cs, "ops")
    page.click("text=客服审核 >> nth=0")
    snap("ops-cs-queue")
    page.click(f"text={app.order_no}")
    confirm(page, "button:has-text('客服审核通过')")
    said(page, "待贷审审核")

    switch(page, cast.lr, "ops")
    page.click("text=贷审审核 >> nth=0")
    page.click(f"text={app.order_no}")
    snap("ops-lr-review")
    confirm(page, "button:has-text('确认/变更产品')")  # 确认贷款类型（产品）: the same product, confirmed
    said(page, f"已确认贷款类型（产品）：{PRODUCT}")
    assert f"确认贷款类型（产品）：{PRODUCT}" in page.content()
    confirm(page, "button:has-text('贷审通过')")
    said(page, "派发中")
    snap("ops-lr-passed-dispatching")
    app.refresh_from_db()
    assert app.status == Status.DISPATCHING
    dispatch = app.dispatches.get()
    cands = list(Candidate.objects.filter(dispatch=dispatch).order_by("rank"))
    assert {c.institution_id for c in cands} == set(by_org)

    # ---- two institutions accept, each confirming the hold in a dialog; the third does not answer yet ----
    for i, cand in enumerate(cands[:2]):
        switch(page, by_org[cand.institution_id].user, "inst")
        page.click("text=可受理贷款查询")
        assert app.order_no in page.inner_text("[data-testid=offers]")
        if i == 0:
            snap("inst-offers")
        page.click(f"text={app.order_no}")
        assert CLIENT_ID not in page.content()  # the client's details stay masked until accepted
        if i == 0:
            snap("inst-offer-detail")
        hold = confirm(page, "[data-testid=accept]")
        said(page, "已受理，已冻结头寸 ¥2,000.00")
        assert "冻结保证金头寸 ¥2,000.00" in hold
        assert CLIENT_ID in page.inner_text("[data-testid=client]")
        if i == 0:
            snap("inst-offer-accepted")
            app.refresh_from_db()  # "满足条件一家以上则进入下一流程": the choice is open from the first acceptance
            assert app.status == Status.AWAITING_CHOICE
    app.refresh_from_db()
    assert app.status == Status.AWAITING_CHOICE

    # ---- 跟单 looks at the dispatch record; 客户经理 records the client's choice ----
    switch(page, cast.of, "ops")
    page.click("text=派发监控")
    page.click("text=派发记录 >> nth=0")
    assert page.inner_text("[data-testid=candidates]").count("已受理") == 2
    snap("ops-dispatch-record")

    chosen = cands[1]  # the client prefers the second-ranked institution
    partner = by_org[chosen.institution_id]
    switch(page, cast.cm, "ops")
    page.click("text=待客户确认机构")
    snap("ops-choice-queue")
    page.click("text=录入客户选择")
    assert by_org[cands[2].institution_id].org.name in page.inner_text("[data-testid=pending-offers]")
    page.check(f"#cand-{chosen.pk}")
    page.fill("#id_note", "客户比较三家方案后选择审批更快的机构")
    snap("ops-choice-form")
    choice = confirm(page, "[data-testid=choose]")
    said(page, "已录入客户选择")
    said(page, "机构办理中")
    assert f"确认客户选择：{partner.org.name}" in choice and "未被选定的机构将解冻头寸" in choice
    assert "仍在受理中的 1 家派单将撤回" in choice
    assert Candidate.objects.get(pk=cands[2].pk).status == Candidate.Status.CANCELLED  # withdrawn, no hold
    snap("ops-choice-recorded")
    dispatch.refresh_from_db()
    assert dispatch.status == Dispatch.Status.CHOSEN and dispatch.chosen_id == chosen.pk
    case = Case.objects.get(candidate=chosen)

    # ---- the chosen institution works the case: allocation, review, signing, disbursement ----
    switch(page, partner.user, "inst")
    page.click("text=案件办理")
    said(page, "待分配")
    snap("inst-cases")
    page.click(f"text={app.order_no}")
    snap("inst-case-new")
    page.select_option("#id_officer", str(partner.user.pk))
    page.click("[data-testid=allocate]")
    said(page, "已分配给")
    page.fill("#id_note", "营业执照与流水齐全，开始审核")
    page.click("[data-testid=review]")
    said(page, "已开始审核")
    at = timezone.localtime(clock_reset.now())  # the signing is recorded right after: not before the booked time
    page.fill("#id_at", at.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#id_place", "深圳市南山区海德三道营业部")
    page.click("[data-testid=book]")
    said(page, "已预约面签")
    snap("inst-case-signing-booked")
    page.fill("#id_note", "客户本人到场，已签署借款合同")
    confirm(page, "[data-testid=sign]")
    said(page, "已记录面签")
    page.fill("#id_amount", "80000")
    page.fill("#id_contract_no", "JD-2026-0815")
    page.fill("#id_annual_rate", "7.2")
    confirm(page, "[data-testid=disburse]")
    said(page, "已录入放款 ¥80,000.00")
    snap("inst-case-disbursed")
    s = Settlement.objects.get(case=case)

    # ---- settlement: 跟单员 confirms the amount, 客户经理 the client's receipt, 跟单员 the commission ----
    switch(page, cast.fo, "ops")
    page.click("text=结算单 >> nth=0")
    page.click(f"text={s.number}")
    snap("ops-settlement-confirm-amount")
    confirm(page, "[data-testid=confirm-amount]")
    said(page, "已确认放款金额 ¥80,000.00")

    switch(page, cast.cm, "ops")
    page.click("text=结算单 >> nth=0")
    page.click(f"text={s.number}")
    confirm(page, "[data-testid=confirm-client]")
    # commission 1.2% of ¥80,000 = ¥960.00, plus the ¥200.00 client service fee
    said(page, "佣金已计算（¥1,160.00），待跟单员确认佣金金额")
    switch(page, cast.fo, "ops")
    page.goto(f"{page.base}/ops/settlements/{s.pk}/")
    said(page, "产品默认条款")
    snap("ops-settlement-commission")
    commission = confirm(page, "[data-testid=confirm-commission]")
    assert "¥960.00" in commission and "¥200.00" in commission
    said(page, "结算账单已出具（应付 ¥1,160.00）")
    snap("ops-settlement-statement")

    # the due date passes: beat's settlement sweep reminds the institution and tasks 跟单员 with a follow-up
    from apps.settlement import services as settlement_services

    clock_reset.shift(timedelta(days=8))
    settlement_services.settlements_sweep()
    switch(page, cast.fo, "ops")
    page.click("text=跟单员联系")
    said(page, partner.org.name)
    page.fill("input[name=note]", "已致电机构财务，承诺今日从现金账户付款")
    snap("ops-follow-up")
    page.click("button:has-text('完成')")
    said(page, f"已记录对 {partner.org.name} 的联系")

    # ---- the institution pays from cash; 结算员 confirms; 跟单员 releases the hold and rates ----
    switch(page, partner.user, "inst")
    page.click("text=结算管理")
    said(page, "逾期")
    page.click(f"text={s.number}")
    said(page, "当前现金余额 ¥5,000.00")
    snap("inst-settlement-statement")
    paid = confirm(page, "[data-testid=pay-cash]")
    said(page, "已从现金账户支付 ¥1,160.00")
    assert "¥1,160.00" in paid

    switch(page, cast.st, "ops")
    page.click("text=结算单 >> nth=0")
    page.click(f"text={s.number}")
    snap("ops-settlement-receipt")
    confirm(page, "[data-testid=confirm-receipt]")
    said(page, "已确认收款 ¥1,160.00")

    switch(page, cast.fo, "ops")
    page.goto(f"{page.base}/ops/settlements/{s.pk}/")
    confirm(page, "[data-testid=release]")
    said(page, "已恢复机构头寸")
    page.check("input[name=stars][value='4']")
    page.fill("#id_comment", "放款及时，但结算逾期一周")
    snap("ops-settlement-rating")
    page.click("[data-testid=rate]")
    said(page, "已提交评价（4 星）")

    switch(page, partner.user, "inst")
    page.goto(f"{page.base}/inst/settlements/{s.pk}/")
    page.check("input[name=stars][value='5']")
    page.fill("#id_comment", "跟单沟通及时，账单清楚")
    page.click("[data-testid=rate]")
    said(page, "放款及时，但结算逾期一周")  # both sides rated: each now sees the other's rating
    snap("inst-settlement-completed")
    app.refresh_from_db()
    assert app.status == Status.COMPLETED

    # ---- complaint: 客户经理 files for the client; the complaint centre routes it to the institution ----
    switch(page, cast.cm, "ops")
    page.click("text=登记投诉")
    page.fill("#id_subject", "面签时被要求额外支付咨询费")
    page.fill("#id_content", f"客户{CLIENT}来电反映：面签当天机构经办人员要求其另付 800 元“咨询费”，否则延后放款。")
    page.fill("#id_contact_person", CLIENT)
    page.fill("#id_contact_phone", "13925550123")
    page.check("#id_on_behalf_of_client")
    page.fill("#id_order_no", app.order_no)
    snap("ops-complaint-form")
    page.click("button:has-text('提交投诉')")
    complaint = Complaint.objects.get()
    said(page, f"已提交投诉 {complaint.number}")

    switch(page, cast.cc, "ops")
    page.click("text=投诉列表")
    page.click(f"text={complaint.number}")
    page.check("#id_decision_2")  # 受理
    page.select_option("#id_responsible_kind", "institution")
    page.select_option("#id_institution", label=partner.org.name)
    snap("ops-complaint-screening")
    confirm(page, "button:has-text('提交审核结论')")
    said(page, f"已受理，转交{partner.org.name}核实处理")

    switch(page, partner.user, "inst")
    page.click("text=投诉记录查询")
    page.click(f"text={complaint.number}")
    page.check("#id_holds_0")  # 机构核查：投诉成立, with its reasons, before the two feedback parts
    page.fill("#id_holds_reason", "经核查，经办人员确实额外收取了 800 元费用。")
    page.fill("#id_agreement", "已向客户致歉并全额退还 800 元，客户表示接受。")
    page.fill("#id_internal", "经办人员停岗培训，扣发当季绩效；全行重申不得收取任何额外费用。")
    snap("inst-complaint-report")
    confirm(page, "button:has-text('提交反馈')")
    said(page, "已提交处理反馈，等待数银确认")

    switch(page, cast.cc, "ops")
    page.goto(f"{page.base}/ops/complaints/{complaint.pk}/")
    page.fill("#id_reply", "经核实，机构已退还费用并处理相关人员，数银对机构处以罚款。感谢您的反馈。")
    page.fill("#id_penalty_amount", "300")
    snap("ops-complaint-confirm")
    confirm(page, "button:has-text('确认办结并答复')")
    said(page, "投诉已办结")
    assert "已完成" in page.inner_text("[data-testid=complaint-header]")
    snap("ops-complaint-closed")

    # the fine needs a second person: 结算员 approves it, and it comes out of the risk margin
    switch(page, cast.st, "ops")
    page.click("text=调账与审批")
    said(page, f"投诉 {complaint.number} 罚款")
    snap("ops-penalty-approval")
    confirm(page, "button:has-text('通过')")
    said(page, "已复核通过，资金已变动")

    switch(page, partner.user, "inst")
    page.click("text=账户总览")
    header = page.inner_text(".topbar").replace(" ", "")
    assert "可用头寸：¥10,000.00" in header and "风险保证金：¥700.00" in header
    snap("inst-finance-after")

    # the customer manager's view of the whole case: every status change, who, when and why
    switch(page, cast.cm, "ops")
    page.click("text=我的申请")
    page.click(f"text={app.order_no}")
    said(page, "已完成")
    for step in ("待客服审核", "待贷审审核", "派发中", "待客户确认机构", "机构办理中", "已放款", "结算中", "待评价"):
        said(page, step)
    snap("ops-application-completed")

    # ---- the books ----
    assert ledger_check(deep=True) == []
    holds = list(Hold.objects.filter(ref_type=HOLD_REF, ref_id=str(app.pk)).values_list("institution_id", "status"))
    assert Hold.objects.count() == 2 and sorted(holds) == sorted(
        (c.institution_id, Hold.Status.RELEASED) for c in cands[:2])
    assert not Hold.objects.filter(status__in=[Hold.Status.ACTIVE, Hold.Status.CAPTURED]).exists()
    for p in ps:
        accts = institution_accounts(p.org)
        assert accts[Account.Kind.MARGIN].balance == Decimal("10000.00")
        paid, fined = (Decimal("1160.00"), Decimal("300.00")) if p is partner else (Decimal(0), Decimal(0))
        assert accts[Account.Kind.CASH].balance == Decimal("5000.00") - paid
        assert accts[Account.Kind.RISK].balance == Decimal("1000.00") - fined
    complaint.refresh_from_db()
    assert complaint.status == Complaint.Status.CLOSED and complaint.institution_id == partner.org.pk
