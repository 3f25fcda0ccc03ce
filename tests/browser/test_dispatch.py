"""An institution accepts a dispatched case in the browser (the hold is confirmed in a dialog, the client's
details appear in full), 跟单 looks at the monitor (every institution still pending with its own deadline) and
the dispatch record, a second institution accepts, and the customer manager records the client's choice while
the third offer is still open (it is withdrawn) — with screenshots of each page."""
import pytest

from tests.browser.helpers import confirm, sign_in as browser_login, switch

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_accept_and_choose_in_the_browser(page, shot, cast, partners, ready_app):
    from apps.dispatch import services
    from apps.dispatch.models import Candidate, Dispatch
    from apps.positions.selectors import ledger_check

    ps = partners(3)
    app = ready_app()  # 贷审 passed and committed: the on_ready hook has dispatched it
    dispatch = app.dispatches.get()
    cands = list(Candidate.objects.filter(dispatch=dispatch).order_by("rank"))
    first = next(p for p in ps if p.org.pk == cands[0].institution_id)
    member = app.member
    browser_login(page, first.user, "inst")
    page.click("text=可受理贷款查询")
    table = page.inner_text("[data-testid=offers]")
    assert app.order_no in table and f"{member.real_name[0]}**" in table and member.real_name not in table
    page.wait_for_function("document.querySelector('[data-countdown]').textContent.startsWith('剩余')")
    shot(page, "dispatch-1-inst-offers")
    page.click(f"text={app.order_no}")
    assert member.id_number not in page.content()
    shot(page, "dispatch-2-inst-offer-detail")
    said_hold = confirm(page, "[data-testid=accept]")
    assert "已受理，已冻结头寸 ¥1,000.00" in page.content()
    assert "冻结保证金头寸 ¥1,000.00" in said_hold
    assert member.id_number in page.inner_text("[data-testid=client]")
    shot(page, "dispatch-3-inst-accepted")
    page.click("text=派发参数详情")
    assert "1 / 20" in page.content()
    shot(page, "dispatch-4-inst-profile")

    switch(page, cast.of, "ops")
    page.click("text=派发监控")
    monitor = page.inner_text("[data-testid=monitor]")
    assert app.order_no in monitor and all(c.institution.name in monitor for c in cands[1:])  # still pending
    assert "剩余 23 小时" in monitor or "剩余 24 小时" in monitor  # each offer's own 24 hours
    shot(page, "dispatch-5-ops-monitor")
    page.click("text=派发记录 >> nth=0")
    assert "贷款成功率" in page.inner_text("[data-testid=candidates]") and "已受理" in page.content()
    page.select_option("#id_institution", label=cast.inst_b.name)
    page.click("button:has-text('检查派发规则')")
    assert "该机构尚未设置派发参数" in page.content()
    shot(page, "dispatch-6-ops-record")

    user = next(p.user for p in ps if p.org.pk == cands[1].institution_id)
    services.offer_accept(actor=user, candidate_id=cands[1].pk)  # the third institution has not answered yet

    switch(page, cast.cm, "ops")
    page.click("text=待客户确认机构")
    page.click("text=录入客户选择")
    second = Candidate.objects.select_related("institution").get(pk=cands[1].pk)
    third = Candidate.objects.select_related("institution").get(pk=cands[2].pk)
    assert third.institution.name in page.inner_text("[data-testid=pending-offers]")
    page.check(f"#cand-{second.pk}")
    page.fill("#id_note", "客户选择利率更低的机构")
    shot(page, "dispatch-7-ops-choice")
    said_choice = confirm(page, "[data-testid=choose]")
    assert "仍在受理中的 1 家派单将撤回" in said_choice
    assert "已录入客户选择" in page.content() and "机构办理中" in page.content()
    shot(page, "dispatch-8-ops-chosen")
    dispatch.refresh_from_db()
    assert dispatch.status == Dispatch.Status.CHOSEN and dispatch.chosen_id == second.pk
    third.refresh_from_db()
    assert third.status == Candidate.Status.CANCELLED
    assert ledger_check(deep=True) == []


def test_dispatch_admin_pages_in_the_browser(page, shot, cast, partners, ready_app):
    """The pages of 贷审 (redispatch) and of the platform site, looked at as a person would."""
    from apps.dispatch import services
    from apps.dispatch.models import Candidate

    ps = partners(2)
    app = ready_app()  # two partners for three places: both decline, the dispatch fails
    for cand in Candidate.objects.filter(application=app):
        services.offer_decline(actor=next(p.user for p in ps if p.org.pk == cand.institution_id),
                               candidate_id=cand.pk, code="busy")
    services.profile_ensure(cast.inst_b)

    browser_login(page, cast.lr, "ops")
    page.click("text=待重新派发")
    assert app.order_no in page.inner_text("[data-testid=redispatch-queue]")
    shot(page, "dispatch-9-ops-redispatch-queue")
    page.click("a.btn:has-text('重新派发')")
    shot(page, "dispatch-10-ops-redispatch")
    assert "重新派发" in confirm(page, "button:has-text('重新派发')")
    assert "重新派发" in page.content() and "第 2 次派发" in page.content()

    switch(page, cast.a_admin, "inst")
    page.click("text=派发参数详情")
    page.check("input[name=products] >> nth=0")
    page.fill("#id_note", "新增业务")
    page.click("button:has-text('提交申请')")
    assert "业务类别变更申请已提交" in page.content()

    switch(page, cast.admin, "platform")
    page.click("text=机构派发参数")
    assert ps[0].org.name in page.inner_text("[data-testid=profiles]")
    shot(page, "dispatch-11-platform-profiles")
    page.goto(f"{page.base}/platform/dispatch/profiles/{cast.inst_b.pk}/")
    check_regions(page, ["浙江省"])
    page.click("button:has-text('保存')")
    assert "请至少选择一类服务对象" in page.content()  # a new profile serves nobody yet
    page.check("input[name=client_types][value=individual]")
    check_regions(page, ["浙江省"])
    shot(page, "dispatch-11b-platform-profile-edit")
    page.click("button:has-text('保存')")
    assert "派发参数已保存" in page.content()
    page.click("text=业务类别变更审核")
    assert cast.inst_a.name in page.inner_text("[data-testid=requests]")
    shot(page, "dispatch-12-platform-requests")
    assert "即可受理该类产品的派单" in confirm(page, "button:has-text('通过')")
    assert "已通过" in page.content()
    page.click("text=区域集群")
    page.click("text=新增集群")
    page.fill("#id_level", "yrd")
    page.fill("#id_name", "长三角")
    check_regions(page, ["上海市", "江苏省", "浙江省", "安徽省"])
    shot(page, "dispatch-13-platform-cluster-form")
    page.click("button:has-text('保存')")
    assert "长三角" in page.inner_text("[data-testid=clusters]")
    shot(page, "dispatch-14-platform-clusters")


def check_regions(page, provinces):
    """Tick whole provinces in the service-area tree (its checkboxes carry the region's primary key)."""
    from apps.regions.models import Region

    pks = list(Region.objects.filter(parent__isnull=True, name__in=provinces).values_list("pk", flat=True))
    assert len(pks) == len(provinces), provinces
    for pk in pks:
        box = page.locator(f"[data-region-tree] [data-node='{pk}']")
        if not box.is_checked():
            box.check()
