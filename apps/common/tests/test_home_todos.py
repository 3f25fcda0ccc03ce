"""Each role's home shows the to-dos it acts on, with a count and a link to the filtered list (issue 19 §7): rows
made through the services are counted, the link opens for that role, other roles do not get the card, another
team's or institution's rows are not counted, and the home page's query count does not grow with the rows."""
from apps.applications import services as apps
from apps.dispatch import services as dispatch
from apps.dispatch.models import Candidate


def cards(client, area):
    resp = client.get(f"/{area}/")
    assert resp.status_code == 200
    return {c.title: c for c in resp.context["cards"]}


def supplement(cast, draft):
    app = draft()
    apps.application_submit(actor=cast.cm, application_id=app.pk)
    apps.cs_pass(actor=cast.cs, application_id=app.pk)
    return apps.ask_supplement(actor=cast.lr, application_id=app.pk, missing="银行流水")


def awaiting_choice(ps, ready_app):
    app = ready_app()
    d = dispatch.dispatch_start(application_id=app.pk)
    cands = list(Candidate.objects.filter(dispatch=d).order_by("rank"))
    for cand in cands:
        user = next(p.user for p in ps if p.org.pk == cand.institution_id)
        dispatch.offer_accept(actor=user, candidate_id=cand.pk)
    d.refresh_from_db()
    return app, d, cands


def test_cm_home_counts_drafts_supplements_and_client_choices(client, cast, login, draft, partners, ready_app,
                                                              books_balance):
    ps = partners(3)
    draft(), draft()
    supplement(cast, draft)
    _app, d, _cands = awaiting_choice(ps, ready_app)
    draft(cm=cast.cm2)  # another team's CM: not counted
    login(cast.cm)
    got = cards(client, "ops")
    assert got["草稿（待提交）"].value == 2 and got["待补充资料"].value == 1 and got["待客户确认机构"].value == 1
    assert got["待客户确认机构"].link == "/ops/queues/mine/?status=awaiting_choice"
    from apps.common.templatetags.shuyin import dt

    assert got["待客户确认机构"].note == f"最近截止：{dt(d.choice_deadline)}"
    for title in ("草稿（待提交）", "待补充资料", "待客户确认机构"):
        html = client.get(got[title].link).content.decode()
        assert html.count("/ops/applications/") >= got[title].value  # the filtered list opens with its rows
    supplement_list = client.get(got["待补充资料"].link).content.decode()
    assert "待补充资料" in supplement_list and "草稿" not in supplement_list.split("<tbody")[1]
    login(cast.cm2)
    got = cards(client, "ops")
    assert got["草稿（待提交）"].value == 1 and got["待补充资料"].value == 0 and got["待客户确认机构"].value == 0
    login(cast.tl)  # the team leader sees the team's, as a team card
    got = cards(client, "ops")
    assert "草稿（待提交）" not in got and got["团队待补充资料"].value == 1 and got["团队待客户确认机构"].value == 1
    assert client.get(got["团队待补充资料"].link).status_code == 200
    for other in (cast.cs, cast.lr, cast.fo, cast.st, cast.cc, cast.bd):
        login(other)
        assert not {"草稿（待提交）", "待补充资料", "团队待补充资料"} & set(cards(client, "ops")), other.username
    books_balance()


def test_cm_home_query_count_does_not_grow_with_rows(client, cast, login, draft, partners, ready_app,
                                                      django_assert_num_queries, books_balance):
    ps = partners(3)
    draft()
    supplement(cast, draft)
    awaiting_choice(ps, ready_app)
    login(cast.cm)
    client.get("/ops/")  # the unread-message figure is kept until a message arrives
    # session user, status tally (草稿/待补充资料/待客户确认机构), nearest choice deadline, settlement steps, roles,
    # complaints, 客户移交 (the leader check and the count), the complaint steps that are the CM's own (roles, count)
    with django_assert_num_queries(11):
        client.get("/ops/")
    draft(), draft()
    supplement(cast, draft)
    awaiting_choice(ps, ready_app)
    client.get("/ops/")
    with django_assert_num_queries(11):
        got = cards(client, "ops")
    assert got["草稿（待提交）"].value == 3 and got["待补充资料"].value == 2 and got["待客户确认机构"].value == 2
    books_balance()


def test_review_roles_see_their_queues_and_lr_the_failed_dispatches(client, cast, login, ready_app):
    app = ready_app()
    dispatch.dispatch_start(application_id=app.pk)  # no partner institution: 派发失败（待贷审处理）
    app.refresh_from_db()
    assert app.status == "redispatch"
    login(cast.lr)
    resp = client.get("/ops/")
    counts = {name: n for name, _t, n in resp.context["ops_queue_counts"]}
    assert set(counts) == {"lr", "arbitration"}
    got = {c.title: c for c in resp.context["cards"]}
    assert got["待重新派发"].value == 1 and client.get(got["待重新派发"].link).status_code == 200
    assert app.order_no in client.get(got["待重新派发"].link).content.decode()
    login(cast.cs)
    resp = client.get("/ops/")
    assert {name for name, _t, _n in resp.context["ops_queue_counts"]} == {"cs"}
    assert "待重新派发" not in {c.title for c in resp.context["cards"]}
    assert client.get("/ops/queues/cs/").status_code == 200
    login(cast.lrs)
    assert {name for name, _t, _n in client.get("/ops/").context["ops_queue_counts"]} == {"lr", "arbitration",
                                                                                       "supervisor"}


def test_institution_home_counts_its_own_offers_with_the_nearest_deadline(client, cast, login, partners, ready_app,
                                                                         books_balance):
    ps = partners(4)
    app = ready_app()
    d = dispatch.dispatch_start(application_id=app.pk)
    offered = {c.institution_id: c for c in Candidate.objects.filter(dispatch=d)}
    assert len(offered) == 3
    from apps.common.templatetags.shuyin import dt

    for p in ps:
        login(p.user, "inst")
        got = cards(client, "inst")
        if p.org.pk in offered:
            assert got["待受理派单"].value == 1
            assert got["待受理派单"].note == f"最近截止：{dt(offered[p.org.pk].deadline)}"
            assert app.order_no in client.get(got["待受理派单"].link).content.decode()
        else:
            assert got["待受理派单"].value == 0
    login(cast.b_admin, "inst")
    assert cards(client, "inst")["待受理派单"].value == 0
    books_balance()


def test_institution_home_counts_cases_to_allocate_for_the_admin_only(client, cast, login, partners, ready_app,
                                                                     books_balance):
    from apps.accounts.services import institution_role, user_create

    ps = partners(3)
    app, _d, cands = awaiting_choice(ps, ready_app)
    chosen = cands[0]
    dispatch.client_choose(actor=cast.cm, application_id=app.pk, candidate_id=chosen.pk)
    winner = next(p for p in ps if p.org.pk == chosen.institution_id)
    login(winner.user, "inst")
    got = cards(client, "inst")
    assert got["待分配案件"].value == 1 and got["待分配案件"].link == "/inst/cases/?status=new"
    assert got["待面签案件"].value == 0 and got["已面签待放款"].value == 0
    assert app.order_no in client.get(got["待分配案件"].link).content.decode()
    viewer = user_create(username="t_win_viewer", password=cast.password, real_name="只读", organization=winner.org,
                         roles=[institution_role(winner.org, "inst_viewer")])
    login(viewer, "inst")
    got = cards(client, "inst")
    assert not {"待分配案件", "待面签案件", "已面签待放款"} & set(got) and "在办案件" in got
    loser = next(p for p in ps if p.org.pk != chosen.institution_id)
    login(loser.user, "inst")
    assert cards(client, "inst")["待分配案件"].value == 0
    books_balance()


def test_settlement_steps_go_to_the_role_that_takes_them(client, cast, login):
    expected = {cast.fo: {"待确认放款金额", "待确认佣金", "待恢复头寸"}, cast.st: {"待确认收款"},
                cast.cm: {"待确认客户到账"}, cast.of: set(), cast.lr: set(), cast.cs: set()}
    steps = {"待确认放款金额", "待确认佣金", "待恢复头寸", "待确认收款", "待确认客户到账"}
    for user, titles in expected.items():
        login(user)
        got = cards(client, "ops")
        assert steps & set(got) == titles, user.username
        for t in titles:
            assert got[t].value == 0 and client.get(got[t].link).status_code == 200


def test_institution_home_query_count_does_not_grow_with_rows(client, cast, login, partners, ready_app,
                                                               django_assert_num_queries, books_balance):
    ps = partners(3)
    dispatch.dispatch_start(application_id=ready_app().pk)
    user = ps[0].user
    login(user, "inst")
    client.get("/inst/")
    # session user, offers (count and nearest deadline), lost cases, cases, settlements, complaints, ranking, and
    # the header figures (margin position, parameters, lost cases)
    with django_assert_num_queries(10):
        client.get("/inst/")
    for _ in range(2):
        dispatch.dispatch_start(application_id=ready_app().pk)
    client.get("/inst/")
    with django_assert_num_queries(10):
        got = cards(client, "inst")
    assert got["待受理派单"].value == 3
    books_balance()


def test_team_leader_counts_handovers_to_decide(client, cast, login, make_member):
    """客户组长: the 客户移交 requests of the team's CMs wait for the leader; the requester does not count their own."""
    from django.utils import timezone

    from apps.applications.models import Handover

    for i in range(2):
        Handover.objects.create(member=make_member(), from_cm=cast.cm, to_cm=cast.cm2, reason="客户要求",
                                requested_at=timezone.now())
    login(cast.tl)
    card = cards(client, "ops")["待审批的客户移交"]
    assert card.value == 2 and card.tone == "warning" and client.get(card.link).status_code == 200
    login(cast.cm2)  # the requester: nothing to decide
    assert cards(client, "ops")["待审批的客户移交"].value == 0
    login(cast.cs)
    assert "待审批的客户移交" not in cards(client, "ops")


def test_complaint_centre_and_business_dept_see_their_own_steps(client, cast, login):
    """投诉处理: complaints at 受理审核; 业务部: a suggestion forwarded to it; each sees its own, not the other's."""
    from apps.complaints import services

    for i in range(2):
        services.complaint_file(actor=cast.cm2, subject=f"投诉{i}", content="客户反映问题。", contact_person="赵女士",
                                contact_phone="13700001111", on_behalf_of_client=True)
    s = services.complaint_file(actor=cast.cm2, subject="建议", content="建议增加夜间客服。", contact_person="钱先生",
                                contact_phone="13700002222", on_behalf_of_client=True)
    services.screen(actor=cast.cc, complaint_id=s.pk, decision="suggestion", forwarded_to="role:business_dept",
                    reply="感谢您的建议，已转业务部评估。")
    login(cast.cc)
    card = cards(client, "ops")["待我处理的投诉"]
    assert card.value == 2 and "受理审核 2" in card.note and card.link.endswith("?status=screening")
    assert client.get(card.link).status_code == 200
    login(cast.bd)
    got = cards(client, "ops")
    assert got["待我处理的投诉"].value == 1 and "建议 1" in got["待我处理的投诉"].note
    assert {"待确认的线下充值", "待我复核的调账/提现"} <= set(got)  # the finance desk's too
    login(cast.cm)
    assert cards(client, "ops")["待我处理的投诉"].value == 0


def test_finance_desk_counts_recharges_and_checks(client, cast, login):
    from decimal import Decimal

    from apps.positions.models import Account, Approval
    from apps.positions.services import recharge_offline_submit

    recharge_offline_submit(institution=cast.inst_a, amount="5000", bank_reference="REF1",
                            voucher_path="vouchers/a.png", user=cast.a_admin)
    Approval.objects.create(kind=Approval.Kind.choices[0][0], institution=cast.inst_a,
                            account_kind=Account.Kind.CASH, amount=Decimal(100), reason="调账", requested_by=cast.bd)
    login(cast.st)
    got = cards(client, "ops")
    assert got["待确认的线下充值"].value == 1 and got["待我复核的调账/提现"].value == 1
    assert all(client.get(got[t].link).status_code == 200 for t in ("待确认的线下充值", "待我复核的调账/提现"))
    login(cast.bd)  # who asked does not check it
    assert cards(client, "ops")["待我复核的调账/提现"].value == 0
    login(cast.cm)
    assert not {"待确认的线下充值", "待我复核的调账/提现"} & set(cards(client, "ops"))
