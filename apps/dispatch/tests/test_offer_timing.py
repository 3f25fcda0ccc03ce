"""Issue 16 §1 and §2 with a moved clock: each offer's own 24 hours, the client's choice from the first
acceptance (offers still open withdrawn, not counted), and "能否操作：否" back to 待贷审审核."""
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from apps.applications import services as review
from apps.applications.models import Status as AppStatus
from apps.cases import services as cases
from apps.cases.models import Case
from apps.dispatch import services
from apps.dispatch.models import Candidate, Dispatch, Profile, Timer
from apps.messaging.models import Message
from apps.positions.models import Hold

C = Candidate.Status


@pytest.fixture(autouse=True)
def _clock(clock_reset):
    yield


def offers(dispatch):
    return list(Candidate.objects.filter(dispatch=dispatch).order_by("round__number", "rank"))


def user_of(partner_list, cand):
    return next(p.user for p in partner_list if p.org.pk == cand.institution_id)


def test_an_offer_lapses_at_24_hours_not_8(cast, partners, ready_app, clock_reset):
    ps = partners(3)
    d = services.dispatch_start(application_id=ready_app().pk)
    first, second, third = offers(d)
    clock_reset.shift(timedelta(hours=8, seconds=1))
    services.timers_sweep()
    assert all(c.status == C.OFFERED for c in offers(d))  # the old 8-hour round no longer ends an offer
    clock_reset.shift(timedelta(hours=15, minutes=58))  # 23 h 58 min after it was sent
    services.offer_decline(actor=user_of(ps, first), candidate_id=first.pk, code="busy")
    clock_reset.shift(timedelta(minutes=2))
    services.timers_sweep()
    with pytest.raises(ValidationError, match="超时未处理"):
        services.offer_accept(actor=user_of(ps, second), candidate_id=second.pk)
    statuses = {c.pk: c.status for c in offers(d)}
    assert statuses == {first.pk: C.DECLINED, second.pk: C.LAPSED, third.pk: C.LAPSED}
    d.refresh_from_db()
    assert d.status == Dispatch.Status.FAILED
    p2 = Profile.objects.get(institution_id=second.institution_id)
    assert (p2.lapsed_count, p2.dispatched_count, p2.abandon_rate) == (1, 1, 1.0)


def test_choice_from_the_first_acceptance_withdraws_the_offers_still_open(cast, partners, ready_app, clock_reset,
                                                                          books_balance):
    ps = partners(4)
    app = ready_app()
    d = services.dispatch_start(application_id=app.pk)
    accepter, *still_open = offers(d)
    clock_reset.shift(timedelta(hours=1))
    with pytest.raises(ValidationError, match="不在客户选择阶段"):  # nobody accepted yet
        services.client_choose(actor=cast.cm, application_id=app.pk, candidate_id=accepter.pk)
    services.offer_accept(actor=user_of(ps, accepter), candidate_id=accepter.pk)
    d.refresh_from_db()
    app.refresh_from_db()
    assert d.status == Dispatch.Status.RUNNING and app.status == AppStatus.AWAITING_CHOICE
    assert d.choice_deadline == d.first_accepted_at + timedelta(days=3)
    assert Message.objects.filter(recipient=cast.cm, title__contains="可录入客户选择").exists()
    clock_reset.shift(timedelta(hours=1))
    services.client_choose(actor=cast.cm, application_id=app.pk, candidate_id=accepter.pk, note="客户当场选定")
    d.refresh_from_db()
    app.refresh_from_db()
    assert d.status == Dispatch.Status.CHOSEN and app.status == AppStatus.IN_INSTITUTION
    assert "撤回 2 家" in d.outcome
    for cand in still_open:
        cand.refresh_from_db()
        assert cand.status == C.CANCELLED and cand.hold_id is None
        profile = Profile.objects.get(institution_id=cand.institution_id)
        # not counted: neither an abandonment nor an offer in the rate's base
        assert (profile.declined_count, profile.lapsed_count, profile.gave_up_count) == (0, 0, 0)
        assert profile.dispatched_count == 0 and profile.abandon_rate is None
        user = user_of(ps, cand)
        assert Message.objects.filter(recipient=user, title__contains="已撤回").exists()
        with pytest.raises(ValidationError):
            services.offer_accept(actor=user, candidate_id=cand.pk)
    assert list(Hold.objects.filter(status="active").values_list("institution_id", flat=True)) == [
        accepter.institution_id]
    assert Case.objects.filter(application=app, institution_id=accepter.institution_id).exists()
    clock_reset.shift(timedelta(days=4))
    assert services.timers_sweep() == 0  # every timer of the dispatch was retired with it
    assert not Timer.objects.filter(dispatch=d, done_at__isnull=True).exists()
    books_balance()


def test_the_three_days_run_from_the_first_acceptance_while_offers_stay_open(cast, partners, ready_app,
                                                                            clock_reset, books_balance):
    ps = partners(3)
    app = ready_app()
    d = services.dispatch_start(application_id=app.pk)
    a, b, c = offers(d)
    clock_reset.shift(timedelta(hours=2))
    services.offer_accept(actor=user_of(ps, a), candidate_id=a.pk)
    clock_reset.shift(timedelta(hours=20))  # a later acceptance adds a choice, the deadline stays
    services.offer_accept(actor=user_of(ps, b), candidate_id=b.pk)
    d.refresh_from_db()
    deadline = d.first_accepted_at + timedelta(days=3)
    assert d.choice_deadline == deadline and d.status == Dispatch.Status.RUNNING
    clock_reset.shift(timedelta(hours=2, seconds=1))  # c's own 24 hours: the dispatch ends, the choice goes on
    services.timers_sweep()
    d.refresh_from_db()
    assert d.status == Dispatch.Status.CHOOSING and d.choice_deadline == deadline
    assert Candidate.objects.get(pk=c.pk).status == C.LAPSED
    clock_reset.shift(deadline - services.clock.now() - timedelta(minutes=1))
    services.client_choose(actor=cast.cm, application_id=app.pk, candidate_id=b.pk)
    app.refresh_from_db()
    assert app.status == AppStatus.IN_INSTITUTION
    assert Hold.objects.get(pk=Candidate.objects.get(pk=a.pk).hold_id).status == "released"
    books_balance()


def test_choice_window_lapsing_while_offers_are_open_withdraws_them(cast, partners, ready_app, clock_reset,
                                                                   books_balance):
    from apps.common.params import param_set

    param_set(key="dispatch.choice_minutes", raw="60", user=cast.admin)
    ps = partners(3)
    app = ready_app()
    d = services.dispatch_start(application_id=app.pk)
    a = offers(d)[0]
    services.offer_accept(actor=user_of(ps, a), candidate_id=a.pk)
    clock_reset.shift(timedelta(hours=1, seconds=1))
    services.timers_sweep()
    d.refresh_from_db()
    app.refresh_from_db()
    assert d.status == Dispatch.Status.LAPSED and app.status == AppStatus.REDISPATCH
    assert [c.status for c in offers(d)] == [C.RELEASED, C.CANCELLED, C.CANCELLED]
    assert not Hold.objects.filter(status="active").exists()
    books_balance()


def _chosen_case(cast, partners, ready_app):
    ps = partners(2)
    app = ready_app()
    d = services.dispatch_start(application_id=app.pk)
    cand = offers(d)[0]
    partner = next(p for p in ps if p.org.pk == cand.institution_id)
    services.offer_accept(actor=partner.user, candidate_id=cand.pk)
    services.client_choose(actor=cast.cm, application_id=app.pk, candidate_id=cand.pk)
    return app, partner, Case.objects.get(application=app)


def test_cannot_lend_lands_in_lr_review_with_the_reason_and_review_can_supplement(cast, partners, ready_app,
                                                                                  books_balance):
    app, partner, case = _chosen_case(cast, partners, ready_app)
    cases.case_cannot_lend(actor=partner.user, case_id=case.pk, reason="客户征信有逾期记录")
    app.refresh_from_db()
    assert app.status == AppStatus.LR_REVIEW  # 回到待审, not 派发失败
    last = app.history.order_by("-id").first()
    assert (last.from_status, last.to_status) == (AppStatus.IN_INSTITUTION, AppStatus.LR_REVIEW)
    assert partner.org.name in last.comment and "客户征信有逾期记录" in last.comment
    assert Hold.objects.get(pk=case.candidate.hold_id).status == "released"
    profile = Profile.objects.get(institution=partner.org)
    assert (profile.gave_up_count, profile.active_cases) == (1, 0)
    assert set(review.available_actions(user=cast.lr, app=app)) >= {"lr_pass", "lr_reject", "park"}
    review.ask_supplement(actor=cast.lr, application_id=app.pk, missing="请补充近半年银行流水")
    app.refresh_from_db()
    assert app.status == AppStatus.SUPPLEMENT and app.supplement_return_to == AppStatus.LR_REVIEW
    books_balance()


def test_cannot_lend_then_review_dispatches_again_to_the_next_cluster(cast, partners, ready_app, books_balance):
    app, partner, case = _chosen_case(cast, partners, ready_app)
    cases.case_cannot_lend(actor=partner.user, case_id=case.pk, reason="客户放弃")
    partners(1)  # an institution not tried yet
    levels, default = services.redispatch_levels(app)
    assert default == "city"
    with pytest.raises(Exception):  # the CM cannot
        services.redispatch(actor=cast.cm, application_id=app.pk, level=default)
    d2 = services.redispatch(actor=cast.lr, application_id=app.pk, level=default, comment="换一家机构")
    app.refresh_from_db()
    assert d2.attempt == 2 and d2.level == "city" and app.status == AppStatus.DISPATCHING
    assert partner.org.pk not in [c.institution_id for c in offers(d2)]  # never offered twice
    assert list(app.history.values_list("to_status", flat=True))[-3:] == [
        AppStatus.LR_REVIEW, AppStatus.READY, AppStatus.DISPATCHING]
    books_balance()


def test_cannot_lend_then_review_rejects(cast, partners, ready_app):
    app, partner, case = _chosen_case(cast, partners, ready_app)
    cases.case_cannot_lend(actor=partner.user, case_id=case.pk, reason="客户放弃")
    review.lr_reject(actor=cast.lr, application_id=app.pk, comment="客户已放弃贷款")
    app.refresh_from_db()
    assert app.status == AppStatus.LR_REJECTED


def test_demo_data_shows_one_acceptance_with_offers_still_open(db):
    from django.core.management import call_command

    from apps.applications.models import Application

    call_command("seed_demo")
    app = Application.objects.get(member__real_name="赵文博")
    d = Dispatch.objects.get(application=app)
    assert app.status == AppStatus.AWAITING_CHOICE and app.cm.username == "cm1"
    assert d.status == Dispatch.Status.RUNNING and d.accepted_count == 1 and d.choice_deadline is not None
    pending = list(d.candidates.filter(status=C.OFFERED))
    assert pending and all(c.deadline == c.offered_at + timedelta(hours=24) for c in pending)
    call_command("seed_demo")  # idempotent
    assert Application.objects.filter(member__real_name="赵文博").count() == 1


def test_pages_list_each_pending_institution_with_its_own_deadline(client, cast, login, partners, ready_app,
                                                                   clock_reset):
    from django.utils import timezone

    ps = partners(3)
    app = ready_app()
    d = services.dispatch_start(application_id=app.pk)
    a, b, c = offers(d)
    services.offer_accept(actor=user_of(ps, a), candidate_id=a.pk)
    clock_reset.shift(timedelta(hours=1))
    extra = partners(1)[0]
    services.candidate_add(actor=cast.of, dispatch_id=d.pk, institution_id=extra.org.pk, reason="客户指定")
    late = Candidate.objects.get(institution=extra.org)
    stamp = lambda cand: timezone.localtime(cand.deadline).strftime("%Y-%m-%d %H:%M")  # noqa: E731
    login(cast.cm)
    for url in (f"/ops/applications/{app.pk}/", f"/ops/dispatch/{app.pk}/choice/"):
        html = client.get(url).content.decode()
        assert 'data-testid="pending-offers"' in html
        for cand in (b, c, late):
            assert cand.institution.name in html and stamp(cand) in html, (url, cand)
        assert stamp(b) != stamp(late)  # each its own
    assert 'name="candidate" value="%d"' % a.pk in html  # the choice is open while the others run
    resp = client.post(f"/ops/dispatch/{app.pk}/choice/", {"candidate": str(a.pk), "note": ""}, follow=True)
    assert "已录入客户选择" in resp.content.decode()
    assert {x.status for x in Candidate.objects.filter(pk__in=[b.pk, c.pk, late.pk])} == {C.CANCELLED}
    login(user_of(ps, b))
    html = client.get(f"/inst/dispatch/offers/{b.pk}/").content.decode()
    assert "已撤回" in html and 'data-testid="accept"' not in html


def test_migration_keeps_running_dispatches_deadlines_and_opens_their_choice(cast, partners, ready_app):
    """Rows written under the old rule (offers ending with their 8-hour round, the choice only after the
    dispatch): every open offer keeps its deadline (an OFFER timer at it), and a dispatch with an acceptance
    opens the client's choice with the 3 days from that first acceptance."""
    import importlib

    from django.apps import apps as registry

    from apps.applications.models import Application, StatusChange

    ps = partners(3)
    app = ready_app()
    d = services.dispatch_start(application_id=app.pk)
    a = offers(d)[0]
    services.offer_accept(actor=user_of(ps, a), candidate_id=a.pk)
    old_deadline = d.rounds.get().deadline  # the old rule: each offer ended with its round
    Candidate.objects.filter(dispatch=d, status=C.OFFERED).update(deadline=old_deadline)
    Timer.objects.filter(dispatch=d).exclude(kind=Timer.Kind.ROUND).delete()
    Dispatch.objects.filter(pk=d.pk).update(choice_deadline=None)
    Application.objects.filter(pk=app.pk).update(status=AppStatus.DISPATCHING)
    migration = importlib.import_module("apps.dispatch.migrations.0003_offer_own_deadline")
    migration.forwards(registry, None)
    d.refresh_from_db()
    assert d.choice_deadline == d.first_accepted_at + timedelta(days=3)
    assert list(Timer.objects.filter(dispatch=d, kind=Timer.Kind.OFFER).values_list("due_at", flat=True)) == [
        old_deadline]
    assert Timer.objects.filter(dispatch=d, kind=Timer.Kind.CHOICE, due_at=d.choice_deadline).exists()
    assert Application.objects.get(pk=app.pk).status == AppStatus.AWAITING_CHOICE
    assert StatusChange.objects.filter(application=app, to_status=AppStatus.AWAITING_CHOICE,
                                       comment__contains="新规则").exists()
    assert all(c.deadline == old_deadline for c in offers(d) if c.status == C.OFFERED)
