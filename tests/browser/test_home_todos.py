"""The customer manager's 工作台 and an institution admin's 机构首页 show their to-dos with counts, the nearest
deadline and a link to the filtered list (issue 19 §7), at 1366 px, with screenshots."""
import pytest

from conftest import browser_login, said, switch

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_cm_and_institution_homes_show_their_todos(page, shot, cast, partners, ready_app, draft):
    from apps.applications import services as apps
    from apps.dispatch import services
    from apps.dispatch.models import Candidate

    ps = partners(3)

    def accept_all(app):
        for cand in Candidate.objects.filter(dispatch=app.dispatches.get()):
            services.offer_accept(actor=next(p.user for p in ps if p.org.pk == cand.institution_id),
                                  candidate_id=cand.pk)

    chosen_app = ready_app()  # 贷审 passed and committed: the on_ready hook has dispatched it
    accept_all(chosen_app)
    winner_cand = Candidate.objects.filter(dispatch=chosen_app.dispatches.get()).order_by("rank").first()
    services.client_choose(actor=cast.cm, application_id=chosen_app.pk, candidate_id=winner_cand.pk)
    waiting = ready_app()
    accept_all(waiting)  # 待客户确认机构
    ready_app()  # offered to the institutions, not answered yet
    draft()
    sup = draft()
    apps.application_submit(actor=cast.cm, application_id=sup.pk)
    apps.cs_pass(actor=cast.cs, application_id=sup.pk)
    apps.ask_supplement(actor=cast.lr, application_id=sup.pk, missing="银行流水")

    browser_login(page, cast.cm, "ops")
    said(page, "待补充资料")
    said(page, "最近截止：")
    shot(page, "home_cm_1366")
    page.click("text=待客户确认机构 >> xpath=ancestor::div[contains(@class,'card-body')]//a")
    page.wait_for_url("**/ops/queues/mine/?status=awaiting_choice")
    said(page, waiting.order_no)

    winner = next(p for p in ps if p.org.pk == winner_cand.institution_id)
    switch(page, winner.user, "inst")
    said(page, "待受理派单")
    said(page, "待分配案件")
    shot(page, "home_inst_admin_1366")
    page.click("text=待分配案件 >> xpath=ancestor::div[contains(@class,'card-body')]//a")
    page.wait_for_url("**/inst/cases/?status=new")
    said(page, chosen_app.order_no)
