"""The rules of section 5, one by one, through the services with a moved clock."""
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from apps.applications.models import Status as AppStatus
from apps.common.params import param_set
from apps.dispatch import selectors, services
from apps.dispatch.models import Candidate, Dispatch, LostCase, Profile, Timer
from apps.positions.models import Hold

C = Candidate.Status


@pytest.fixture(autouse=True)
def _clock(clock_reset):
    yield


def start(app):
    return services.dispatch_start(application_id=app.pk)


def offers(dispatch, round_no=None):
    qs = Candidate.objects.filter(dispatch=dispatch).select_related("profile", "round")
    if round_no:
        qs = qs.filter(round__number=round_no)
    return list(qs.order_by("round__number", "rank"))


def user_of(partner_list, cand):
    return next(p.user for p in partner_list if p.org.pk == cand.institution_id)


def test_first_round_goes_to_the_top_three_by_score_with_parts_stored(cast, partners, ready_app, books_balance):
    ps = partners(5)
    Profile.objects.filter(pk=ps[4].profile.pk).update(success_count=8, accepted_count=8, rating_sum=40,
                                                      rating_count=8)
    from apps.dispatch.scoring import profiles_rescore

    profiles_rescore()
    app = ready_app()
    d = start(app)
    app.refresh_from_db()
    assert app.status == AppStatus.DISPATCHING
    first = offers(d, 1)
    assert len(first) == 3
    assert first[0].institution_id == ps[4].org.pk  # the best record comes first
    assert set(first[0].parts) == {"success", "abandon", "volume", "rating", "timeliness", "position"}
    assert first[0].score == sum(Decimal(str(v)) for v in first[0].parts.values())
    assert first[0].score > first[1].score
    assert Timer.objects.filter(dispatch=d, kind="round", done_at__isnull=True).count() == 1
    books_balance()


def test_equal_scores_rotate_longest_waiting_first(cast, partners, ready_app):
    ps = partners(5)
    a1, a2 = ready_app(), ready_app()
    d1 = start(a1)
    d2 = start(a2)
    got1 = [c.institution_id for c in offers(d1)]
    got2 = [c.institution_id for c in offers(d2)]
    ids = [p.org.pk for p in ps]
    assert got1 == ids[:3]
    # p4 and p5 were never dispatched to, then p1 (dispatched longest ago)
    assert got2 == ids[3:] + ids[:1]


def test_decliners_are_replaced_in_the_next_round(cast, partners, ready_app, books_balance, clock_reset):
    ps = partners(6)
    d = start(ready_app())
    r1 = offers(d, 1)
    services.offer_accept(actor=user_of(ps, r1[0]), candidate_id=r1[0].pk)
    services.offer_decline(actor=user_of(ps, r1[1]), candidate_id=r1[1].pk, code="busy")
    with pytest.raises(ValidationError):
        services.offer_decline(actor=user_of(ps, r1[2]), candidate_id=r1[2].pk, code="other", text="")
    services.offer_decline(actor=user_of(ps, r1[2]), candidate_id=r1[2].pk, code="other", text="暂停该类业务")
    r2 = offers(d, 2)
    assert len(r2) == 2  # 3 − 1 accepted
    assert not {c.institution_id for c in r2} & {c.institution_id for c in r1}
    d.refresh_from_db()
    assert (d.round_count, d.accepted_count, d.status) == (2, 1, Dispatch.Status.RUNNING)
    assert Hold.objects.filter(ref_type="application", status="active").count() == 1
    books_balance()


def test_stops_at_three_acceptances_and_moves_to_client_choice(cast, partners, ready_app, books_balance):
    ps = partners(4)
    app = ready_app()
    d = start(app)
    for cand in offers(d, 1):
        services.offer_accept(actor=user_of(ps, cand), candidate_id=cand.pk)
    d.refresh_from_db()
    app.refresh_from_db()
    assert d.status == Dispatch.Status.CHOOSING and d.round_count == 1 and d.accepted_count == 3
    assert app.status == AppStatus.AWAITING_CHOICE
    assert d.choice_deadline == d.first_accepted_at + timedelta(days=3)
    assert Hold.objects.filter(status="active").count() == 3
    assert Profile.objects.get(pk=ps[0].profile.pk).active_cases == 1
    books_balance()


def test_rounds_refill_every_8_hours_while_each_offer_keeps_its_own_24_hours(cast, partners, ready_app, clock_reset):
    """"自动补全三家, 24 小时之内派三轮(共九家)" and "是否接单 (24 小时内确认)": the refill cadence (8 h) opens
    new rounds for the places not yet accepted; it never shortens an offer, which lapses at its own 24 h."""
    ps = partners(12)
    app = ready_app()
    d = start(app)
    r1 = offers(d, 1)
    assert all(c.deadline == c.offered_at + timedelta(hours=24) for c in r1)
    clock_reset.shift(timedelta(hours=8, seconds=1))
    assert services.timers_sweep() == 1  # the refill point, not a lapse
    assert all(c.status == C.OFFERED for c in offers(d, 1))
    r2 = offers(d, 2)
    assert len(r2) == 3 and all(c.deadline == c.offered_at + timedelta(hours=24) for c in r2)
    clock_reset.shift(timedelta(hours=8))
    services.timers_sweep()
    assert len(offers(d, 3)) == 3
    clock_reset.shift(timedelta(hours=8))  # 24 h after the first round: round 1 lapses, no fourth round
    services.timers_sweep()
    d.refresh_from_db()
    assert [c.status for c in offers(d, 1)] == [C.LAPSED] * 3
    assert all(c.status == C.OFFERED for c in offers(d, 2) + offers(d, 3))
    assert d.status == Dispatch.Status.RUNNING and d.round_count == 3 and len(offers(d)) == 9
    assert Profile.objects.get(institution=r1[0].institution).lapsed_count == 1
    assert Profile.objects.get(institution=r2[0].institution).lapsed_count == 0
    # a round-2 institution may still accept 20 hours after its offer was sent
    clock_reset.shift(timedelta(hours=4))
    services.offer_accept(actor=user_of(ps, r2[0]), candidate_id=r2[0].pk)
    app.refresh_from_db()
    assert app.status == AppStatus.AWAITING_CHOICE
    clock_reset.shift(timedelta(hours=20))
    services.timers_sweep()
    d.refresh_from_db()
    assert d.status == Dispatch.Status.CHOOSING and d.accepted_count == 1
    assert services.timers_sweep() == 0  # nothing fires twice


def test_nothing_accepted_within_every_offer_window_goes_back_to_review(cast, partners, ready_app, clock_reset):
    param_set(key="dispatch.window_minutes", raw="600", user=cast.admin)  # 10 h: room for two rounds only
    ps = partners(9)
    app = ready_app()
    d = start(app)
    clock_reset.shift(timedelta(hours=8, seconds=1))
    services.timers_sweep()
    r2 = offers(d, 2)
    assert len(r2) == 3 and all(c.deadline == c.offered_at + timedelta(hours=24) for c in r2)
    clock_reset.shift(timedelta(hours=2))
    services.timers_sweep()  # the cut-off: no third round, but the offers already sent keep waiting
    d.refresh_from_db()
    assert d.status == Dispatch.Status.RUNNING and d.round_count == 2
    clock_reset.shift(timedelta(hours=14))  # round 1's 24 h
    services.timers_sweep()
    d.refresh_from_db()
    assert d.status == Dispatch.Status.RUNNING
    clock_reset.shift(timedelta(hours=8))  # round 2's 24 h
    services.timers_sweep()
    d.refresh_from_db()
    app.refresh_from_db()
    assert d.status == Dispatch.Status.FAILED and "派发总时限已到" in d.outcome
    assert app.status == AppStatus.REDISPATCH
    assert [Profile.objects.get(institution=c.institution).lapsed_count for c in r2] == [1, 1, 1]
    assert services.timers_sweep() == 0


def test_next_cluster_redispatch_reaches_wider_institutions(cast, partners, ready_app):
    from apps.regions.models import Region

    nanshan = Region.objects.get(code="440305")
    futian = Region.objects.get(code="440304")
    near = partners(1, areas=[nanshan])
    far = partners(2, areas=[futian])  # same city, other district
    app = ready_app()
    d1 = start(app)
    assert [c.institution_id for c in offers(d1)] == [near[0].org.pk]
    services.offer_decline(actor=near[0].user, candidate_id=offers(d1)[0].pk, code="busy")
    app.refresh_from_db()
    assert app.status == AppStatus.REDISPATCH
    levels, default = services.redispatch_levels(app)
    assert default == "city"
    with pytest.raises(ValidationError):
        services.redispatch(actor=cast.lr, application_id=app.pk, level="bogus")
    d2 = services.redispatch(actor=cast.lr, application_id=app.pk, level=default)
    assert d2.attempt == 2 and d2.level == "city"
    assert {c.institution_id for c in offers(d2)} == {p.org.pk for p in far}


def test_no_candidate_at_all_goes_straight_back_to_review(cast, partners, ready_app):
    app = ready_app()
    d = start(app)
    app.refresh_from_db()
    assert d.status == Dispatch.Status.FAILED and d.outcome == "无符合条件的机构"
    assert app.status == AppStatus.REDISPATCH


def test_rules_exclude_paused_wrong_type_short_position_and_health(cast, partners, ready_app):
    from apps.dispatch.scoring import health_refresh

    ok, paused, corp, poor, sick = partners(5)
    Profile.objects.filter(pk=paused.profile.pk).update(is_active=False)
    Profile.objects.filter(pk=corp.profile.pk).update(client_types=["enterprise_owner"])
    Profile.objects.filter(pk=sick.profile.pk).update(dispatched_count=20, declined_count=19, accepted_count=1)
    param_set(key="dispatch.health.max_abandon_rate", raw="0.5", user=cast.admin)
    health_refresh()
    from apps.positions import services as money

    money.transfer(institution=poor.org, source="margin", target="cash", amount="9500")
    app = ready_app()  # product hold is 1,000
    d = start(app)
    assert [c.institution_id for c in offers(d)] == [ok.org.pk]
    # the short one matched everything else: it lost a qualifying case
    assert LostCase.objects.filter(institution=poor.org, reason="position").count() == 1
    assert Profile.objects.get(pk=poor.profile.pk).lost_count == 1
    assert Profile.objects.get(pk=sick.profile.pk).excluded


def test_accept_without_position_is_refused_and_counted_lost(cast, partners, ready_app, books_balance):
    from apps.positions import services as money

    ps = partners(1)
    app = ready_app()
    d = start(app)
    cand = offers(d)[0]
    money.transfer(institution=ps[0].org, source="margin", target="cash", amount="9500")
    result = services.offer_accept(actor=ps[0].user, candidate_id=cand.pk)
    assert result.status == C.REFUSED and "头寸不足" in result.refuse_reason
    assert LostCase.objects.filter(institution=ps[0].org, application=app).exists()
    assert Profile.objects.get(pk=ps[0].profile.pk).active_cases == 0
    assert not Hold.objects.filter(institution=ps[0].org).exists()
    books_balance()


def test_client_choice_keeps_the_chosen_hold_and_releases_the_others(cast, partners, ready_app, books_balance):
    ps = partners(3)
    app = ready_app()
    d = start(app)
    cands = offers(d)
    for c in cands:
        services.offer_accept(actor=user_of(ps, c), candidate_id=c.pk)
    with pytest.raises(Exception):
        services.client_choose(actor=cast.cm2, application_id=app.pk, candidate_id=cands[1].pk)
    services.client_choose(actor=cast.cm, application_id=app.pk, candidate_id=cands[1].pk, note="利率更低")
    app.refresh_from_db()
    assert app.status == AppStatus.IN_INSTITUTION
    holds = {h.institution_id: h.status for h in Hold.objects.all()}
    assert holds[cands[1].institution_id] == "active"
    assert [holds[cands[0].institution_id], holds[cands[2].institution_id]] == ["released", "released"]
    assert [Profile.objects.get(institution_id=c.institution_id).active_cases for c in cands] == [0, 1, 0]
    with pytest.raises(ValidationError):
        services.client_choose(actor=cast.cm, application_id=app.pk, candidate_id=cands[0].pk)
    books_balance()


def test_choice_window_lapses_every_hold_released(cast, partners, ready_app, books_balance, clock_reset):
    ps = partners(2)
    app = ready_app()
    d = start(app)
    for c in offers(d):
        services.offer_accept(actor=user_of(ps, c), candidate_id=c.pk)
    d.refresh_from_db()
    assert d.status == Dispatch.Status.CHOOSING  # round 1 all answered, no one left for round 2
    clock_reset.shift(timedelta(days=3, seconds=1))
    assert services.timers_sweep() == 1
    d.refresh_from_db()
    app.refresh_from_db()
    assert d.status == Dispatch.Status.LAPSED and app.status == AppStatus.REDISPATCH
    assert not Hold.objects.filter(status="active").exists()
    assert services.timers_sweep() == 0
    books_balance()


def test_client_refuses_all(cast, partners, ready_app, books_balance):
    ps = partners(1)
    app = ready_app()
    d = start(app)
    services.offer_accept(actor=ps[0].user, candidate_id=offers(d)[0].pk)
    with pytest.raises(ValidationError):
        services.client_choose(actor=cast.cm, application_id=app.pk, candidate_id=None, note="")
    services.client_choose(actor=cast.cm, application_id=app.pk, candidate_id=None, note="客户暂不需要贷款")
    d.refresh_from_db()
    assert d.status == Dispatch.Status.REFUSED and not Hold.objects.filter(status="active").exists()
    books_balance()


def test_follower_interventions(cast, partners, ready_app, clock_reset):
    ps = partners(4)
    extra = partners(1, client_types=("enterprise_owner",))[0]
    app = ready_app()
    d = start(app)
    clock_reset.shift(timedelta(hours=1))
    with pytest.raises(ValidationError, match="已知晓"):
        services.candidate_add(actor=cast.of, dispatch_id=d.pk, institution_id=extra.org.pk, reason="客户指定")
    cand = services.candidate_add(actor=cast.of, dispatch_id=d.pk, institution_id=extra.org.pk, reason="客户指定",
                                  accept_warnings=True)
    assert cand.manual and cand.round.number == 1
    assert cand.deadline == cand.offered_at + timedelta(hours=24)  # its own 24 hours, not the round's
    with pytest.raises(Exception):
        services.candidate_add(actor=cast.lr, dispatch_id=d.pk, institution_id=ps[3].org.pk, reason="x")
    services.window_extend(actor=cast.of, dispatch_id=d.pk, minutes=120, reason="机构在开会")
    first = offers(d, 1)
    assert all(c.deadline == c.offered_at + timedelta(hours=26) for c in first)  # each from its own deadline
    with pytest.raises(ValidationError, match="尚无机构受理"):
        services.window_extend(actor=cast.of, dispatch_id=d.pk, minutes=60, reason="x", target="choice")
    clock_reset.shift(timedelta(hours=24, seconds=1))
    services.timers_sweep()  # the refill point and the first 24-hour timers: the extended offers wait on
    assert all(c.status == C.OFFERED for c in offers(d, 1))
    services.round_close_early(actor=cast.of, dispatch_id=d.pk, reason="改派其他机构")
    assert all(c.status == C.CANCELLED for c in offers(d, 1))
    assert Profile.objects.get(pk=ps[0].profile.pk).lapsed_count == 0  # withdrawn, not held against them
    assert d.events.filter(actor=cast.of).count() == 4
def test_weight_change_takes_effect_on_the_next_dispatch(cast, partners, ready_app):
    ps = partners(4)
    Profile.objects.filter(pk=ps[3].profile.pk).update(rating_sum=5, rating_count=1)
    from apps.dispatch.scoring import profiles_rescore

    profiles_rescore()
    param_set(key="dispatch.weight.rating", raw="0", user=cast.admin)
    d = start(ready_app())
    assert ps[3].org.pk not in [c.institution_id for c in offers(d)]  # the rating no longer lifts it
    param_set(key="dispatch.weight.rating", raw="50", user=cast.admin)
    d2 = start(ready_app())
    assert offers(d2)[0].institution_id == ps[3].org.pk


def test_selection_is_one_query(cast, partners, ready_app, django_assert_num_queries):
    from apps.applications.models import Application

    partners(5)
    app = Application.objects.select_related("product", "region").get(pk=ready_app().pk)
    with django_assert_num_queries(1):
        picked = selectors.candidates_select(application=app, level="district", n=3)
    assert len(picked) == 3
