"""Who sees the settlement statuses (issue 16 §8): the seed's "此状态可见角色：客户经理，跟单经理，贷审经理，结算员"
(and 跟单员, who works them) see 已放款 / 结算中 / 待评价 and the settlement entries of the history; every other role
that may see the application sees only 结算中 — on the detail page, in the lists, in the status filter and in the
statistics. State is set up through the services."""
import pytest

from apps.applications.models import Application, Status
from apps.settlement import services as settlement
from apps.settlement.models import Settlement
from apps.settlement.tests.test_settlement import disburse

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock_reset")]


@pytest.fixture
def in_settlement(cast, partners, ready_app, fund):
    """in_settlement(statement=False) → an application of cast.cm's team after disbursement (已放款), or with its
    statement issued (结算中)."""
    from types import SimpleNamespace

    from apps.accounts.models import User
    from apps.cases.models import Case
    from apps.dispatch import services as dispatch
    from apps.dispatch.models import Candidate

    made = []

    def _make(statement=False):
        if not made:
            made.extend(partners(2))
        app = ready_app()
        cands = list(Candidate.objects.filter(dispatch=dispatch.dispatch_start(application_id=app.pk))
                     .order_by("rank"))
        users = {c.pk: User.objects.get(organization_id=c.institution_id) for c in cands}
        for c in cands:
            dispatch.offer_accept(actor=users[c.pk], candidate_id=c.pk)
        dispatch.client_choose(actor=cast.cm, application_id=app.pk, candidate_id=cands[0].pk)
        case = Case.objects.get(candidate=cands[0])
        disburse(SimpleNamespace(user=users[cands[0].pk]), case)
        if statement:
            s = Settlement.objects.get(case=case)
            settlement.confirm_amount(actor=cast.fo, settlement_id=s.pk, amount="50000")
            settlement.confirm_client(actor=cast.cm, settlement_id=s.pk)
            settlement.commission_confirm(actor=cast.fo, settlement_id=s.pk)
        return Application.objects.get(pk=case.application_id)
    return _make


def page(resp) -> str:
    assert resp.status_code == 200
    return resp.content.decode()


def badge(html: str) -> str:
    """The text of the status badge in the detail page's header."""
    start = html.index('data-testid="app-status"')
    chunk = html[start:start + 200]
    return chunk.split('">', 2)[2].split("<", 1)[0]


@pytest.mark.parametrize("who", ["cm", "lr", "lrs", "of", "fo"])
def test_the_seeds_roles_see_the_settlement_steps(client, cast, login, in_settlement, who):
    app = in_settlement(statement=True)
    assert app.status == Status.SETTLING
    login(getattr(cast, who))
    html = page(client.get(f"/ops/applications/{app.pk}/"))
    assert badge(html) == "结算中"
    assert "机构办理中 → <strong>已放款</strong>" in html and "已放款 → <strong>结算中</strong>" in html
    assert "出具结算账单：佣金 500.00 元" in html


@pytest.mark.parametrize("who", ["cs", "tl", "bd"])
def test_other_roles_see_only_that_the_case_is_in_settlement(client, cast, login, in_settlement, who):
    app = in_settlement()
    assert app.status == Status.DISBURSED
    login(getattr(cast, who))
    html = page(client.get(f"/ops/applications/{app.pk}/"))
    assert badge(html) == "结算中" and "已放款" not in html
    assert "机构办理中 → <strong>结算中</strong>" in html  # the move into settlement, without its amounts
    settlement_app = in_settlement(statement=True)
    html = page(client.get(f"/ops/applications/{settlement_app.pk}/"))
    assert "已放款" not in html and "出具结算账单" not in html and "结算中 → <strong>结算中</strong>" not in html


def test_the_same_page_differs_by_viewer_even_when_cached(client, cast, login, in_settlement):
    app = in_settlement()
    login(cast.cm)
    for _ in range(2):  # the second view comes from the page cache
        assert badge(page(client.get(f"/ops/applications/{app.pk}/"))) == "已放款"
    client.post("/ops/logout/")
    login(cast.tl)
    for _ in range(2):
        assert badge(page(client.get(f"/ops/applications/{app.pk}/"))) == "结算中"


def test_lists_and_the_status_filter_follow_the_viewer(client, cast, login, in_settlement):
    disbursed, settling = in_settlement(), in_settlement(statement=True)
    login(cast.cm)  # the CM's own list: the steps, and a filter per step
    html = page(client.get("/ops/queues/mine/"))
    assert "已放款" in html and '<option value="disbursed">已放款</option>' in html
    html = page(client.get("/ops/queues/mine/?status=disbursed"))
    assert disbursed.order_no in html and settling.order_no not in html
    client.post("/ops/logout/")
    login(cast.tl)  # the team leader: one 结算中, in the rows and in the filter
    html = page(client.get("/ops/queues/team/"))
    assert disbursed.order_no in html and settling.order_no in html and "已放款" not in html
    assert '<option value="disbursed">' not in html and '<option value="settling">结算中</option>' in html
    html = page(client.get("/ops/queues/team/?status=settling"))
    assert disbursed.order_no in html and settling.order_no in html and "已放款" not in html
    # a step typed into the address is not a filter this viewer has: nothing is filtered, nothing revealed
    html = page(client.get("/ops/queues/team/?status=disbursed"))
    assert "已放款" not in html


def test_member_page_lists_the_applications_by_the_same_rule(client, cast, login, in_settlement):
    app = in_settlement()
    login(cast.cs)
    html = page(client.get(f"/ops/members/{app.member_id}/"))
    assert app.order_no in html and "结算中" in html and "已放款" not in html
    client.post("/ops/logout/")
    login(cast.cm)
    assert "已放款" in page(client.get(f"/ops/members/{app.member_id}/"))


def test_statistics_merge_the_steps_for_other_roles(client, cast, login, in_settlement):
    disbursed, settling = in_settlement(), in_settlement(statement=True)
    login(cast.bd)  # 业务部 reads the statistics but is not among the seed's roles
    html = page(client.get("/ops/reports/?date_from=2000-01-01"))
    assert "已放款" not in html and "结算中" in html
    html = page(client.get("/ops/reports/?date_from=2000-01-01&status=settling"))
    assert disbursed.order_no in html and settling.order_no in html
    client.post("/ops/logout/")
    login(cast.lr)
    html = page(client.get("/ops/reports/?date_from=2000-01-01&status=disbursed"))
    assert "已放款" in html and disbursed.order_no in html and settling.order_no not in html


@pytest.mark.parametrize("rows", [1, 3])
def test_team_list_query_count_does_not_grow(client, cast, login, in_settlement, django_assert_num_queries, rows):
    apps = [in_settlement() for _ in range(rows)]
    login(cast.tl)
    client.get("/ops/queues/team/")
    with django_assert_num_queries(5):  # the same for one row and for three
        html = page(client.get("/ops/queues/team/?q=&sort=-time"))
    assert all(a.order_no in html for a in apps) and "已放款" not in html
