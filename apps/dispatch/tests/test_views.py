"""The dispatch pages: allowed roles, wrong roles (403), other tenants (404), bad input (a Chinese error and
no change) and fixed query counts on the list pages. State is set up through the services."""
from datetime import timedelta

import pytest

from apps.applications.models import Application, Status as AppStatus
from apps.dispatch import services
from apps.dispatch.models import Candidate, CategoryRequest, Cluster, Dispatch, Profile

pytestmark = pytest.mark.django_db
C = Candidate.Status


@pytest.fixture(autouse=True)
def _clock(clock_reset):
    yield


@pytest.fixture
def dispatched(partners, ready_app):
    """dispatched(n_partners=3) → (partners, application, dispatch, first-round candidates by rank)."""

    def _make(n=3, **kw):
        ps = partners(n, **kw)
        app = ready_app()
        d = services.dispatch_start(application_id=app.pk)
        app.refresh_from_db()
        return ps, app, d, list(Candidate.objects.filter(dispatch=d).order_by("rank"))

    return _make


def user_of(ps, cand):
    return next(p.user for p in ps if p.org.pk == cand.institution_id)


def accept_all(ps, cands):
    for cand in cands:
        services.offer_accept(actor=user_of(ps, cand), candidate_id=cand.pk)


def inst_user(org, role, username):
    from apps.accounts.services import institution_role, user_create

    from conftest import PASSWORD

    return user_create(username=username, password=PASSWORD, real_name=username, organization=org,
                       roles=[institution_role(org, role)])


def page(resp) -> str:
    return resp.content.decode()


# ---- institution: offers ----

def test_offer_list_masks_the_client_and_moves_answers_to_history(client, login, dispatched):
    ps, app, d, cands = dispatched()
    member = app.member
    login(user_of(ps, cands[0]))
    html = page(client.get("/inst/dispatch/offers/"))
    assert app.order_no in html and "测试信用贷" in html and "¥50,000.00" in html and "第 1 轮" in html
    assert f"{member.real_name[0]}**" in html and member.mobile[:3] + "****" + member.mobile[-4:] in html
    assert member.real_name not in html and member.mobile not in html and member.id_number not in html
    assert "data-countdown" in html and "待受理" in html
    assert app.order_no not in page(client.get("/inst/dispatch/offers/?tab=history"))
    services.offer_decline(actor=user_of(ps, cands[0]), candidate_id=cands[0].pk, code="busy")
    assert app.order_no not in page(client.get("/inst/dispatch/offers/"))
    html = page(client.get("/inst/dispatch/offers/?tab=history&status=declined"))
    assert app.order_no in html and "已拒绝" in html and member.real_name not in html


def test_offer_list_shows_only_own_institution_and_needs_the_inst_area(client, cast, login, dispatched):
    ps, app, d, cands = dispatched(4)
    outsider = next(p for p in ps if p.org.pk not in {c.institution_id for c in cands})
    login(outsider.user)
    assert app.order_no not in page(client.get("/inst/dispatch/offers/"))
    client.post("/inst/logout/")
    login(cast.cm)
    assert client.get("/inst/dispatch/offers/").status_code == 403


@pytest.mark.parametrize("rows", [2, 12])
def test_offer_list_query_count_is_fixed(client, login, partners, bulk_ready, django_assert_num_queries, rows):
    ps = partners(3)
    for app in bulk_ready(rows):
        services.dispatch_start(application_id=app.pk)
    login(ps[0].user)
    client.get("/inst/dispatch/offers/")
    with django_assert_num_queries(7):
        html = page(client.get("/inst/dispatch/offers/?size=50&sort=-amount"))
    assert html.count("data-countdown=") == rows


def test_offer_detail_masks_until_accepted_then_shows_in_full(client, login, dispatched, books_balance):
    ps, app, d, cands = dispatched()
    member = app.member
    login(user_of(ps, cands[0]))
    url = f"/inst/dispatch/offers/{cands[0].pk}/"
    html = page(client.get(url))
    assert member.id_number not in html and member.mobile not in html and member.real_name not in html
    assert "将冻结保证金头寸 ¥1,000.00" in html and "经营周转" in html and "广东省 / 深圳市 / 南山区" in html
    resp = client.post(f"{url}accept/", follow=True)
    assert "已受理，已冻结头寸 ¥1,000.00" in page(resp)
    html = page(client.get(url))
    assert member.id_number in html and member.mobile in html and member.real_name in html
    assert Candidate.objects.get(pk=cands[0].pk).status == C.ACCEPTED
    assert "data-testid=\"accept\"" not in html
    books_balance()


def test_accept_refused_for_capacity_shows_the_reason(client, cast, login, dispatched):
    ps, app, d, cands = dispatched()
    p = next(p for p in ps if p.org.pk == cands[0].institution_id)
    services.profile_update(actor=cast.admin, profile=p.profile, capacity=0, client_types=["individual"],
                            is_active=True)
    login(p.user)
    resp = client.post(f"/inst/dispatch/offers/{cands[0].pk}/accept/", follow=True)
    assert "受理失败：同时服务人数已满" in page(resp)
    assert Candidate.objects.get(pk=cands[0].pk).status == C.REFUSED


def test_another_institution_cannot_open_or_answer_a_case(client, cast, login, dispatched):
    ps, app, d, cands = dispatched(4)
    target = cands[0]
    outsider = next(p for p in ps if p.org.pk not in {c.institution_id for c in cands})
    for who in (outsider.user, cast.b_admin):
        login(who)
        url = f"/inst/dispatch/offers/{target.pk}/"
        assert client.get(url).status_code == 404
        assert client.post(f"{url}accept/").status_code == 404
        assert client.post(f"{url}decline/", {"code": "busy"}).status_code == 404
        client.post("/inst/logout/")
    assert Candidate.objects.get(pk=target.pk).status == C.OFFERED


def test_read_only_operator_sees_but_cannot_answer(client, login, dispatched):
    ps, app, d, cands = dispatched()
    org = next(p.org for p in ps if p.org.pk == cands[0].institution_id)
    viewer = inst_user(org, "inst_viewer", "t_p_viewer")
    login(viewer)
    html = page(client.get(f"/inst/dispatch/offers/{cands[0].pk}/"))
    assert "测试信用贷" in html and "data-testid=\"accept\"" not in html and "确认拒绝" not in html
    assert client.post(f"/inst/dispatch/offers/{cands[0].pk}/accept/").status_code == 403
    assert client.post(f"/inst/dispatch/offers/{cands[0].pk}/decline/", {"code": "busy"}).status_code == 403
    assert Candidate.objects.get(pk=cands[0].pk).status == C.OFFERED


def test_decline_needs_a_reason(client, login, dispatched):
    ps, app, d, cands = dispatched()
    login(user_of(ps, cands[0]))
    url = f"/inst/dispatch/offers/{cands[0].pk}/decline/"
    assert "请选择拒绝原因" in page(client.post(url, {"code": ""}))
    assert "选择“其他”时请填写拒绝说明" in page(client.post(url, {"code": "other", "text": " "}))
    assert Candidate.objects.get(pk=cands[0].pk).status == C.OFFERED
    resp = client.post(url, {"code": "other", "text": "暂停该类业务"})
    assert resp.status_code == 302 and resp["Location"] == "/inst/dispatch/offers/"
    cand = Candidate.objects.get(pk=cands[0].pk)
    assert (cand.status, cand.decline_code, cand.decline_text) == (C.DECLINED, "other", "暂停该类业务")
    assert "该派单已处理" in page(client.post(url, {"code": "busy"}, follow=True))


def test_answer_after_the_deadline_is_refused_with_a_message(client, login, dispatched, clock_reset):
    ps, app, d, cands = dispatched()
    login(user_of(ps, cands[0]))
    clock_reset.shift(timedelta(hours=9))  # the old 8-hour round: the offer's own 24 hours still run
    assert 'data-testid="accept"' in page(client.get(f"/inst/dispatch/offers/{cands[0].pk}/"))
    clock_reset.shift(timedelta(hours=15))
    html = page(client.get(f"/inst/dispatch/offers/{cands[0].pk}/"))
    assert "data-testid=\"accept\"" not in html
    resp = client.post(f"/inst/dispatch/offers/{cands[0].pk}/accept/", follow=True)
    assert "已超过受理时限" in page(resp)
    assert Candidate.objects.get(pk=cands[0].pk).status == C.OFFERED


# ---- institution: its dispatch profile ----

def test_profile_page_shows_statistics_and_score_parts(client, cast, login, dispatched):
    ps, app, d, cands = dispatched()
    p = next(p for p in ps if p.org.pk == cands[0].institution_id)
    services.offer_accept(actor=p.user, candidate_id=cands[0].pk)
    login(p.user)
    html = page(client.get("/inst/dispatch/profile/"))
    for text in ("派单数", "弃单率", "贷款成功率", "受理用时中位数", "符合条件流失单数", "在办案件 / 同时服务人数",
                 "1 / 20", "可用头寸", "时效", "广东省", "测试信用贷", "个人", "修改接单设置", "申请变更业务类别"):
        assert text in html, text


def test_profile_and_market_pages_show_the_same_abandon_rate(client, cast, login, partners):
    from apps.dispatch.models import Profile

    (p,) = partners(1)
    Profile.objects.filter(institution=p.org).update(dispatched_count=3, declined_count=1)  # 1 of 3 abandoned
    login(p.user)
    assert "33.3%" in page(client.get("/inst/dispatch/profile/"))
    market = page(client.get("/inst/reports/market/"))
    assert "33.3%" in market
    assert all(f"size={n}" in market for n in (10, 20, 50, 100))  # the history's page sizes are offered


def test_profile_is_created_for_an_institution_without_one(client, cast, login):
    login(cast.a_viewer)
    html = page(client.get("/inst/dispatch/profile/"))
    assert "未设置服务区域" in html and "修改接单设置" not in html
    assert Profile.objects.filter(institution=cast.inst_a).count() == 1
    assert client.post("/inst/dispatch/profile/edit/", {"capacity": 5, "client_types": ["individual"]}).status_code == 403
    client.post("/inst/logout/")
    login(cast.a_sub_user)  # a sub-branch sees its legal entity's profile
    assert "未设置服务区域" in page(client.get("/inst/dispatch/profile/"))
    assert Profile.objects.count() == 1


def test_profile_edit_validates_and_saves(client, login, partners):
    p = partners(1)[0]
    login(p.user)
    html = page(client.post("/inst/dispatch/profile/edit/", {"capacity": "0", "client_types": []}))
    assert "请至少选择一类服务对象" in html and "同时服务人数应在 1 到 9999 之间" in html
    assert Profile.objects.get(pk=p.profile.pk).capacity == 20
    resp = client.post("/inst/dispatch/profile/edit/", {"capacity": "8", "client_types": ["individual", "salaried"]},
                       follow=True)
    assert "派发参数已保存" in page(resp)
    profile = Profile.objects.get(pk=p.profile.pk)
    assert (profile.capacity, profile.client_types, profile.is_active) == (8, ["individual", "salaried"], False)


def test_category_request_and_platform_decision(client, cast, login, partners, product):
    from apps.products.models import Product

    other = Product.objects.create(code="t-car", name="测试车贷", category="car", hold_amount="500")
    p = partners(1)[0]
    login(p.user)
    assert "请至少选择一个业务类别" in page(client.post("/inst/dispatch/profile/category-request/", {"note": "x"}))
    assert not CategoryRequest.objects.exists()
    resp = client.post("/inst/dispatch/profile/category-request/",
                       {"products": [product.pk, other.pk], "note": "新增车贷"}, follow=True)
    assert "已提交" in page(resp) and "新增车贷" in page(resp) and "待审核" in page(resp)
    html = page(client.post("/inst/dispatch/profile/category-request/", {"products": [other.pk]}))
    assert "已有一份变更申请待数银审核" in html and CategoryRequest.objects.count() == 1
    req = CategoryRequest.objects.get()
    client.post("/inst/logout/")

    login(cast.admin)
    html = page(client.get("/platform/dispatch/category-requests/"))
    assert p.org.name in html and "测试车贷" in html
    resp = client.post(f"/platform/dispatch/category-requests/{req.pk}/decide/", {"decision": "reject", "note": ""},
                       follow=True)
    assert "驳回时请填写原因" in page(resp) and CategoryRequest.objects.get().status == "pending"
    client.post(f"/platform/dispatch/category-requests/{req.pk}/decide/", {"decision": "approve"})
    assert CategoryRequest.objects.get().status == "approved"
    assert sorted(Profile.objects.get(pk=p.profile.pk).product_ids) == sorted([product.pk, other.pk])
    assert client.post("/platform/dispatch/category-requests/999999/decide/", {"decision": "approve"}).status_code == 404
    client.post("/platform/logout/")
    login(cast.of, area="ops")
    assert client.get("/platform/dispatch/category-requests/").status_code in (302, 403)


# ---- 数银: monitor and record ----

def test_monitor_lists_live_dispatches_and_highlights_overdue(client, cast, login, dispatched, clock_reset):
    ps, app, d, cands = dispatched()
    login(cast.of)
    html = page(client.get("/ops/dispatch/monitor/"))
    assert app.order_no in html and "1 / 3" in html and "区县" in html and "table-danger" not in html
    assert app.order_no not in page(client.get("/ops/dispatch/monitor/?status=choosing"))
    assert 'data-testid="pending"' in html and all(c.institution.name in html for c in cands)  # each its deadline
    clock_reset.shift(timedelta(hours=9))
    assert "table-danger" not in page(client.get("/ops/dispatch/monitor/"))  # 8 hours is not an offer's deadline
    clock_reset.shift(timedelta(hours=15))
    html = page(client.get("/ops/dispatch/monitor/?overdue=on"))
    assert app.order_no in html and "table-danger" in html and "已超时" in html
    client.post("/ops/logout/")
    for who in (cast.cm, cast.lr):
        login(who)
        assert client.get("/ops/dispatch/monitor/").status_code == 403
        client.post("/ops/logout/")


@pytest.mark.parametrize("rows", [2, 12])
def test_monitor_query_count_is_fixed(client, cast, login, partners, bulk_ready, django_assert_num_queries, rows):
    partners(3)
    for app in bulk_ready(rows):
        services.dispatch_start(application_id=app.pk)
    login(cast.of)
    client.get("/ops/dispatch/monitor/")
    with django_assert_num_queries(5):  # + the institutions still pending, all rows at once
        html = page(client.get("/ops/dispatch/monitor/?size=50&sort=-amount"))
    assert html.count("/ops/dispatch/") >= rows


def test_record_explains_the_candidates(client, cast, login, dispatched):
    ps, app, d, cands = dispatched()
    services.offer_decline(actor=user_of(ps, cands[1]), candidate_id=cands[1].pk, code="amount")
    login(cast.lr)
    html = page(client.get(f"/ops/dispatch/{app.pk}/"))
    for text in ("第 1 次派发", "区县", "第 1 轮", "贷款成功率", "弃单率", "可用头寸", "金额或期限不符", "派发日志",
                 ps[0].org.name, "开始第 1 次派发"):
        assert text in html, text
    assert "跟单干预" not in html  # lr may look, not intervene
    client.post("/ops/logout/")
    login(cast.cm)
    assert client.get(f"/ops/dispatch/{app.pk}/").status_code == 403
    client.post("/ops/logout/")
    login(cast.of)
    assert client.get("/ops/dispatch/999999/").status_code == 404
    assert "跟单干预" in page(client.get(f"/ops/dispatch/{app.pk}/"))


def test_manual_addition_checks_rules_and_needs_acknowledgement(client, cast, login, dispatched, partners):
    from apps.regions.models import Region

    ps, app, d, cands = dispatched(3)
    far = partners(1, areas=[Region.objects.get(code="33")])[0]  # 浙江: does not serve 南山区
    login(cast.of)
    url = f"/ops/dispatch/{app.pk}/add/"
    html = page(client.post(url, {"dispatch": d.pk, "institution": far.org.pk, "check": "1"}))
    assert "不符合以下派发规则" in html and "服务区域不含申请所在地区" in html
    assert not Candidate.objects.filter(institution=far.org).exists()
    html = page(client.post(url, {"dispatch": d.pk, "institution": far.org.pk, "reason": ""}))
    assert "请填写人工加派的原因" in html
    html = page(client.post(url, {"dispatch": d.pk, "institution": far.org.pk, "reason": "客户指定"}))
    assert "已知晓以上提示" in html and not Candidate.objects.filter(institution=far.org).exists()
    resp = client.post(url, {"dispatch": d.pk, "institution": far.org.pk, "reason": "客户指定", "accept_warnings": "on"},
                       follow=True)
    assert "已人工加派" in page(resp)
    cand = Candidate.objects.get(institution=far.org)
    assert cand.manual and cand.manual_reason == "客户指定" and cand.added_by == cast.of
    assert "人工加派" in page(resp) and "客户指定" in page(resp)


def test_interventions_only_reach_this_applications_live_dispatch(client, cast, login, dispatched, ready_app):
    ps, app, d, cands = dispatched(6)
    other = ready_app()
    other_d = services.dispatch_start(application_id=other.pk)
    login(cast.of)
    deadlines = {c.pk: c.deadline for c in cands}
    html = page(client.post(f"/ops/dispatch/{app.pk}/extend/", {"dispatch": other_d.pk, "minutes": 60,
                                                                 "reason": "客户出差"}))
    assert "该派发已结束，请刷新页面" in html
    assert "延长时间应在 1 分钟到 7 天之间" in page(client.post(f"/ops/dispatch/{app.pk}/extend/", {
        "dispatch": d.pk, "minutes": 0, "reason": "x"}))
    assert "请填写延长的原因" in page(client.post(f"/ops/dispatch/{app.pk}/extend/", {"dispatch": d.pk, "minutes": 60}))
    resp = client.post(f"/ops/dispatch/{app.pk}/extend/", {"dispatch": d.pk, "minutes": 60, "reason": "客户出差"},
                       follow=True)
    assert "时限已延长" in page(resp)
    for cand in Candidate.objects.filter(dispatch=d):  # each open offer from its own deadline
        assert cand.deadline == deadlines[cand.pk] + timedelta(minutes=60)
    assert "尚无机构受理" in page(client.post(f"/ops/dispatch/{app.pk}/extend/", {
        "dispatch": d.pk, "minutes": 60, "reason": "x", "target": "choice"}))
    assert "请填写提前结束本轮的原因" in page(client.post(f"/ops/dispatch/{app.pk}/close-round/", {"dispatch": d.pk}))
    resp = client.post(f"/ops/dispatch/{app.pk}/close-round/", {"dispatch": d.pk, "reason": "机构均电话确认不接"},
                       follow=True)
    assert "本轮已提前结束" in page(resp)
    d.refresh_from_db()
    assert d.round_count == 2 and all(c.status == C.CANCELLED for c in Candidate.objects.filter(round__number=1,
                                                                                                  dispatch=d))
    client.post("/ops/logout/")
    login(cast.lr)
    assert client.post(f"/ops/dispatch/{app.pk}/close-round/", {"dispatch": d.pk, "reason": "x"}).status_code == 403


# ---- 贷审: redispatch ----

def failed_app(dispatched):
    ps, app, d, cands = dispatched(3)
    for cand in cands:
        services.offer_decline(actor=user_of(ps, cand), candidate_id=cand.pk, code="busy")
    app.refresh_from_db()
    assert app.status == AppStatus.REDISPATCH
    return ps, app


def test_redispatch_queue_and_page(client, cast, login, dispatched, partners):
    ps, app = failed_app(dispatched)
    partners(2)
    login(cast.lr)
    html = page(client.get("/ops/dispatch/redispatch/"))
    assert app.order_no in html and "无机构受理" in html and "第 1 次" in html
    url = f"/ops/dispatch/{app.pk}/redispatch/"
    html = page(client.get(url))
    assert 'value="city" checked' in html.replace("\n", "") or 'checked' in html
    assert "请选择有效的派发区域层级" in page(client.post(url, {"level": "moon"}))
    assert app.dispatches.count() == 1
    resp = client.post(url, {"level": "city", "comment": "扩大到地市"}, follow=True)
    assert "已按“地市”重新派发" in page(resp) and "贷审说明：扩大到地市" in page(resp)
    d2 = app.dispatches.get(attempt=2)
    assert d2.level == "city" and d2.status == Dispatch.Status.RUNNING
    assert "不需要重新派发" in page(client.get(url))
    assert "不能重新派发" in page(client.post(url, {"level": "city"}))
    client.post("/ops/logout/")
    login(cast.of)
    assert client.get("/ops/dispatch/redispatch/").status_code == 403
    assert client.post(url, {"level": "province"}).status_code == 403


@pytest.mark.parametrize("rows", [1, 6])
def test_redispatch_queue_query_count_is_fixed(client, cast, login, partners, bulk_ready, django_assert_num_queries,
                                               rows):
    for app in bulk_ready(rows):  # nobody serves them: each dispatch fails at once
        services.dispatch_start(application_id=app.pk)
    assert Application.objects.filter(status=AppStatus.REDISPATCH).count() == rows
    login(cast.lr)
    client.get("/ops/dispatch/redispatch/")
    with django_assert_num_queries(3):
        html = page(client.get("/ops/dispatch/redispatch/?sort=-amount"))
    assert html.count("无符合条件的机构") == rows


# ---- 客户经理: the client's choice ----

def test_cm_records_the_clients_choice(client, cast, login, dispatched, books_balance):
    ps, app, d, cands = dispatched(3)
    accept_all(ps, cands)
    app.refresh_from_db()
    assert app.status == AppStatus.AWAITING_CHOICE
    login(cast.cm)
    html = page(client.get("/ops/dispatch/choices/"))
    assert app.order_no in html and "3 家" in html
    url = f"/ops/dispatch/{app.pk}/choice/"
    html = page(client.get(url))
    assert all(p.org.name in html for p in ps) and "客户拒绝全部机构" in html
    assert "请选择客户选定的机构" in page(client.post(url, {"note": ""}))
    assert "请填写客户拒绝的原因" in page(client.post(url, {"candidate": "refuse", "note": " "}))
    assert "只能选择已受理的机构" in page(client.post(url, {"candidate": "999999"}))
    assert Dispatch.objects.get(pk=d.pk).status == Dispatch.Status.CHOOSING
    resp = client.post(url, {"candidate": str(cands[1].pk), "note": "利率更低"})
    assert resp["Location"] == f"/ops/applications/{app.pk}/"
    d.refresh_from_db()
    assert d.status == Dispatch.Status.CHOSEN and d.chosen_id == cands[1].pk
    assert "不在客户选择阶段" in page(client.get(url))
    books_balance()


def test_choice_is_only_for_the_applications_own_cm(client, cast, login, dispatched):
    ps, app, d, cands = dispatched(3)
    accept_all(ps, cands)
    url = f"/ops/dispatch/{app.pk}/choice/"
    login(cast.cm2)
    assert client.get(url).status_code == 404
    assert client.post(url, {"candidate": str(cands[0].pk)}).status_code == 404
    assert app.order_no not in page(client.get("/ops/dispatch/choices/"))
    client.post("/ops/logout/")
    login(cast.lr)
    assert client.get(url).status_code == 403
    assert client.get("/ops/dispatch/choices/").status_code == 403
    assert Dispatch.objects.get(pk=d.pk).status == Dispatch.Status.CHOOSING


def test_client_refuses_all(client, cast, login, dispatched, books_balance):
    ps, app, d, cands = dispatched(3)
    accept_all(ps, cands)
    login(cast.cm)
    resp = client.post(f"/ops/dispatch/{app.pk}/choice/", {"candidate": "refuse", "note": "客户暂不需要"}, follow=True)
    assert "客户拒绝全部机构" in page(resp)
    app.refresh_from_db()
    assert app.status == AppStatus.REDISPATCH
    books_balance()


@pytest.mark.parametrize("rows", [1, 5])
def test_choice_queue_query_count_is_fixed(client, cast, login, partners, ready_app, django_assert_num_queries, rows):
    ps = partners(3)
    for _ in range(rows):
        app = ready_app()
        services.dispatch_start(application_id=app.pk)
        accept_all(ps, Candidate.objects.filter(application=app))
    login(cast.cm)
    client.get("/ops/dispatch/choices/")
    with django_assert_num_queries(3):
        html = page(client.get("/ops/dispatch/choices/?sort=amount"))
    assert html.count("录入客户选择</a>") == rows


# ---- the application detail page links to dispatch ----

def test_application_detail_links_to_the_dispatch_pages(client, cast, login, dispatched):
    ps, app, d, cands = dispatched(3)
    accept_all(ps, cands)
    login(cast.cm)
    html = page(client.get(f"/ops/applications/{app.pk}/"))
    assert f"/ops/dispatch/{app.pk}/choice/" in html and f'href="/ops/dispatch/{app.pk}/"' not in html
    client.post("/ops/logout/")
    login(cast.lr)
    html = page(client.get(f"/ops/applications/{app.pk}/"))
    assert f'href="/ops/dispatch/{app.pk}/"' in html and "/choice/" not in html and "待客户选择" in html


def test_application_detail_offers_redispatch_to_the_reviewer(client, cast, login, dispatched):
    ps, app = failed_app(dispatched)
    login(cast.lr)
    html = page(client.get(f"/ops/applications/{app.pk}/"))
    assert f"/ops/dispatch/{app.pk}/redispatch/" in html and "无机构受理" in html


# ---- platform ----

def test_platform_profile_list_and_edit(client, cast, login, partners, product):
    from apps.regions.models import Region

    p = partners(1)[0]
    login(cast.admin)
    html = page(client.get("/platform/dispatch/profiles/"))
    assert p.org.name in html and cast.inst_b.name in html and "未设置派发参数" in html
    assert p.org.name not in page(client.get("/platform/dispatch/profiles/?state=missing"))
    url = f"/platform/dispatch/profiles/{cast.inst_b.pk}/"
    html = page(client.get(url))
    assert "data-region-tree" in html and "服务区域" in html and Profile.objects.filter(institution=cast.inst_b).exists()
    html = page(client.post(url, {"capacity": "x", "client_types": ["individual"]}))
    assert "请填写整数" in html
    hz, zj = Region.objects.get(code="3301"), Region.objects.get(code="32")
    resp = client.post(url, {"capacity": "7", "client_types": ["individual", "enterprise_owner"], "is_active": "on",
                             "areas": [hz.pk, zj.pk], "products": [product.pk]}, follow=True)
    assert "派发参数已保存" in page(resp)
    profile = Profile.objects.get(institution=cast.inst_b)
    assert profile.capacity == 7 and profile.product_ids == [product.pk]
    assert set(profile.areas.values_list("region__code", flat=True)) == {"3301", "32"}
    assert "c:3301" in profile.coverage and "p:32" in profile.coverage
    assert client.get(f"/platform/dispatch/profiles/{cast.a_sub_user.organization_id}/").status_code == 404
    client.post("/platform/logout/")
    login(cast.a_admin)
    assert client.get("/platform/dispatch/profiles/").status_code in (302, 403)


@pytest.mark.parametrize("rows", [1, 6])
def test_platform_profile_list_query_count_is_fixed(client, cast, login, partners, django_assert_num_queries, rows):
    partners(rows)
    login(cast.admin)
    client.get("/platform/dispatch/profiles/")
    with django_assert_num_queries(3):
        html = page(client.get("/platform/dispatch/profiles/?sort=-score"))
    assert html.count("合作机构") >= rows


def test_clusters_crud(client, cast, login):
    from apps.regions.models import Region

    login(cast.admin)
    html = page(client.get("/platform/dispatch/clusters/"))
    assert "district,city,province,national" in html and "暂无区域集群" in html
    sh, js = Region.objects.get(code="31"), Region.objects.get(code="32")
    html = page(client.post("/platform/dispatch/clusters/new/", {"level": "city", "name": "长三角",
                                                                  "regions": [sh.pk]}))
    assert "不能使用内置层级代码" in html
    assert "请至少选择一个省份或城市" in page(client.post("/platform/dispatch/clusters/new/", {"level": "yrd",
                                                                                        "name": "长三角"}))
    assert not Cluster.objects.exists()
    client.post("/platform/dispatch/clusters/new/", {"level": "yrd", "name": "长三角", "regions": [sh.pk, js.pk]})
    cluster = Cluster.objects.get()
    assert set(cluster.regions.values_list("code", flat=True)) == {"31", "32"}
    html = page(client.get("/platform/dispatch/clusters/"))
    assert "长三角" in html and "未列入参数" in html
    client.post(f"/platform/dispatch/clusters/{cluster.pk}/edit/", {"level": "yrd", "name": "长三角地区",
                                                                     "regions": [sh.pk]})
    assert Cluster.objects.get().name == "长三角地区"
    client.post(f"/platform/dispatch/clusters/{cluster.pk}/delete/")
    assert not Cluster.objects.exists()
    assert client.get("/platform/dispatch/clusters/999999/edit/").status_code == 404


# ---- demo data ----

def test_demo_seed_is_idempotent(cast):
    from apps.accounts import demo as accounts_demo
    from apps.dispatch import demo
    from apps.positions import demo as positions_demo
    from apps.products.models import Product

    accounts_demo.seed()
    positions_demo.seed()
    assert len(demo.seed()) == 3
    assert demo.seed() == []
    profiles = Profile.objects.filter(institution__code__in=["inst1", "inst2", "inst3"])
    assert profiles.count() == 3
    for profile in profiles:
        assert profile.capacity == 20 and len(profile.client_types) == 4 and profile.is_active
        assert set(profile.areas.values_list("region__code", flat=True)) == {"44", "33", "51"}
        assert set(profile.product_ids) == set(Product.objects.filter(is_active=True).values_list("pk", flat=True))
