"""Races on real PostgreSQL, one connection per thread: capacity, the client's choice against the expiry
sweep, and two sweeps at once. Every test ends with the books proven."""
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from apps.common.testing import run_threads
from apps.dispatch import services
from apps.dispatch.models import Candidate, Dispatch, Profile, Round, Timer
from apps.positions.models import Hold

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("db-threads")]
C = Candidate.Status


@pytest.fixture(autouse=True)
def _clock(clock_reset):
    yield


def live(app):
    return Dispatch.objects.get(application=app, status__in=Dispatch.LIVE)


def test_two_offers_race_for_the_last_unit_of_capacity(cast, partners, bulk_ready, books_balance):
    (p,) = partners(1, capacity=1)
    apps = bulk_ready(2)
    offers = []
    for app in apps:
        services.dispatch_start(application_id=app.pk)
        offers.append(Candidate.objects.get(application=app))

    results, errors = run_threads(2, lambda i: services.offer_accept(actor=p.user, candidate_id=offers[i].pk))
    assert errors == [None, None]
    statuses = sorted(r.status for r in results)
    assert statuses == [C.ACCEPTED, C.REFUSED]
    refused = next(r for r in results if r.status == C.REFUSED)
    assert "同时服务人数已满" in refused.refuse_reason
    assert Profile.objects.get(pk=p.profile.pk).active_cases == 1
    assert Hold.objects.filter(status="active").count() == 1
    books_balance()


@pytest.mark.parametrize("attempt", range(4))
def test_client_choice_races_the_expiry_sweep(cast, partners, bulk_ready, books_balance, attempt):
    ps = partners(2)
    (app,) = bulk_ready(1)
    d = services.dispatch_start(application_id=app.pk)
    for cand in Candidate.objects.filter(dispatch=d):
        user = next(p.user for p in ps if p.org.pk == cand.institution_id)
        services.offer_accept(actor=user, candidate_id=cand.pk)
    d.refresh_from_db()
    assert d.status == Dispatch.Status.CHOOSING
    chosen = Candidate.objects.filter(dispatch=d).first()
    late = d.choice_deadline + timedelta(seconds=1)

    def act(i):
        if i == 0:
            return services.client_choose(actor=cast.cm, application_id=app.pk, candidate_id=chosen.pk)
        return services.timers_sweep(now=late)

    results, errors = run_threads(2, act)
    d.refresh_from_db()
    active = Hold.objects.filter(status="active")
    if d.status == Dispatch.Status.CHOSEN:
        assert errors == [None, None]
        assert [h.institution_id for h in active] == [chosen.institution_id]
        assert Timer.objects.get(dispatch=d, kind="choice").done_at is not None
    else:
        assert d.status == Dispatch.Status.LAPSED
        assert isinstance(errors[0], ValidationError) and errors[1] is None
        assert not active.exists()
    assert Hold.objects.filter(resolved_at__isnull=False).count() == (1 if d.status == "chosen" else 2)
    assert sum(p.active_cases for p in Profile.objects.all()) == active.count()
    books_balance()


def test_two_sweeps_at_once_apply_each_deadline_once(cast, partners, bulk_ready, books_balance, clock_reset):
    ps = partners(6)
    apps = bulk_ready(30)
    for app in apps:
        services.dispatch_start(application_id=app.pk)
    clock_reset.shift(timedelta(hours=8, seconds=1))  # the refill points: round 2 opens, round 1 waits on

    results, errors = run_threads(2, lambda i: services.timers_sweep(batch=5))
    assert errors == [None, None]
    assert sum(results) == 30
    assert Round.objects.filter(number=1, closed_at__isnull=False).count() == 30
    assert Round.objects.filter(number=2).count() == 30  # each next round opened exactly once
    assert not Candidate.objects.filter(status=C.LAPSED).exists()
    clock_reset.shift(timedelta(hours=16))  # round 2's refill points (nobody left) and round 1's own 24 hours
    results, errors = run_threads(2, lambda i: services.timers_sweep(batch=5))
    assert errors == [None, None]
    assert sum(results) == 60
    assert Candidate.objects.filter(status=C.LAPSED).count() == 90
    assert sum(Profile.objects.values_list("lapsed_count", flat=True)) == 90
    assert not Timer.objects.filter(done_at__isnull=True, due_at__lte=clock_reset.now()).exists()
    assert services.timers_sweep() == 0
    books_balance()
