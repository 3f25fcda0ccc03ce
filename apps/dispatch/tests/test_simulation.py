"""A simulated month: 2,000 applications arrive over 20 days, institutions answer at random times or not
at all, clients choose, refuse or let the window lapse, and the sweep runs every simulated hour.
Afterwards every window has fired exactly once and every hold ended as its case did."""
import heapq
import os
import random
from collections import Counter
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Count

from apps.applications.models import Application, Status as AppStatus
from apps.dispatch import services
from apps.dispatch.models import Candidate, Dispatch, Profile, Round, Timer
from apps.positions.models import Hold

C = Candidate.Status
N_APPS = int(os.environ.get("SIM_APPS", "2000"))
DAYS = 30
TICK = timedelta(hours=1)


# Committed as it goes (not one test transaction): a month of updates to the same few profile and account rows
# inside one transaction would leave hundreds of thousands of row versions that nothing can prune.
@pytest.mark.django_db(transaction=True)
def test_thirty_simulated_days(cast, partners, bulk_ready, books_balance, clock_reset):
    rng = random.Random(20261128)
    ps = partners(24, margin="400000", capacity=400)
    users = {p.org.pk: p.user for p in ps}
    apps = bulk_ready(N_APPS)
    arrivals = sorted((rng.uniform(0, 20 * 24 * 60), a.pk) for a in apps)  # minutes from the start
    planned, chosen_planned = set(), set()
    plans: list[tuple] = []  # heap of (due moment, candidate id, action)
    choice_plans: list[tuple] = []  # heap of (due moment, application id, action)
    start = clock_reset.now()
    counts = Counter()

    def plan_offers(now):
        # offers made since the previous tick (the planned set keeps this exactly once per offer)
        for pk in Candidate.objects.filter(status=C.OFFERED, offered_at__gte=now - 2 * TICK).values_list("pk", flat=True):
            if pk in planned:
                continue
            planned.add(pk)
            action = rng.choices(["accept", "decline", "ignore"], weights=[45, 30, 25])[0]
            if action != "ignore":
                heapq.heappush(plans, (now + timedelta(minutes=rng.uniform(1, 11 * 60)), pk, action))

    def plan_choices(now):
        for app_id in Dispatch.objects.filter(status=Dispatch.Status.CHOOSING).values_list("application_id", flat=True):
            if app_id in chosen_planned:
                continue
            chosen_planned.add(app_id)
            action = rng.choices(["choose", "refuse", "ignore"], weights=[60, 15, 25])[0]
            if action != "ignore":
                heapq.heappush(choice_plans, (now + timedelta(hours=rng.uniform(1, 90)), app_id, action))

    steps = int(timedelta(days=DAYS) / TICK)
    next_arrival = 0
    for step in range(steps):
        if step % 24 == 0:  # as autovacuum would, at this pace: keep the planner's statistics current
            with connection.cursor() as cur:
                cur.execute("VACUUM ANALYZE dispatch_profile, dispatch_candidate, positions_account")
        clock_reset.shift(TICK)
        now = clock_reset.now()
        minutes = (now - start).total_seconds() / 60
        while next_arrival < len(arrivals) and arrivals[next_arrival][0] <= minutes:
            services.dispatch_start(application_id=arrivals[next_arrival][1])
            next_arrival += 1
        while plans and plans[0][0] <= now:
            _due, cand_id, action = heapq.heappop(plans)
            cand = Candidate.objects.only("status", "institution_id").get(pk=cand_id)
            if cand.status != C.OFFERED:
                continue
            try:
                if action == "accept":
                    services.offer_accept(actor=users[cand.institution_id], candidate_id=cand_id)
                else:
                    services.offer_decline(actor=users[cand.institution_id], candidate_id=cand_id, code="busy")
                counts[action] += 1
            except ValidationError:
                counts["late_answer"] += 1  # past the deadline: the sweep will lapse it
        while choice_plans and choice_plans[0][0] <= now:
            _due, app_id, action = heapq.heappop(choice_plans)
            try:
                if action == "choose":
                    accepted = list(Candidate.objects.filter(application_id=app_id, status=C.ACCEPTED)
                                    .values_list("pk", flat=True))
                    if not accepted:  # the window lapsed before the client called back
                        raise ValidationError("lapsed")
                    services.client_choose(actor=cast.cm, application_id=app_id, candidate_id=rng.choice(accepted))
                else:
                    services.client_choose(actor=cast.cm, application_id=app_id, candidate_id=None, note="客户放弃")
                counts[action] += 1
            except ValidationError:
                counts["late_choice"] += 1
        counts["fired"] += services.timers_sweep()
        plan_offers(now)
        plan_choices(now)

    assert next_arrival == N_APPS
    # every dispatch ended: nothing is left running or waiting for the client
    assert not Dispatch.objects.filter(status__in=Dispatch.LIVE).exists()
    assert not Candidate.objects.filter(status__in=[C.OFFERED, C.ACCEPTED]).exists()
    # every window fired exactly once: each round closed once, each offer lapsed at or after its own deadline
    assert not Round.objects.filter(closed_at__isnull=True).exists()
    assert not Timer.objects.filter(done_at__isnull=True).exists()
    lapsed_offers = list(Candidate.objects.filter(status=C.LAPSED).values_list("resolved_at", "deadline", "offered_at"))
    assert lapsed_offers and all(at >= deadline == sent + timedelta(hours=24) for at, deadline, sent in lapsed_offers)
    assert Round.objects.values("dispatch_id", "number").annotate(n=Count("id")).filter(n__gt=1).count() == 0
    assert Dispatch.objects.values("application_id").filter(status__in=Dispatch.LIVE).count() == 0
    # lapses counted once per lapsed candidate
    lapsed = Counter(Candidate.objects.filter(status=C.LAPSED).values_list("profile_id", flat=True))
    assert {p.pk: p.lapsed_count for p in Profile.objects.all() if p.lapsed_count} == dict(lapsed)
    # every hold ended correctly: active exactly for chosen institutions, released for everyone else
    chosen = set(Candidate.objects.filter(status=C.CHOSEN).values_list("hold_id", flat=True))
    assert set(Hold.objects.filter(status="active").values_list("pk", flat=True)) == chosen
    released = set(Candidate.objects.filter(status=C.RELEASED).values_list("hold_id", flat=True))
    assert set(Hold.objects.filter(status="released").values_list("pk", flat=True)) == released
    active = Counter(Candidate.objects.filter(status=C.CHOSEN).values_list("profile_id", flat=True))
    assert {p.pk: p.active_cases for p in Profile.objects.all() if p.active_cases} == dict(active)
    # applications are where their dispatch says
    assert Application.objects.filter(status=AppStatus.IN_INSTITUTION).count() == len(chosen)
    assert not Application.objects.filter(status__in=[AppStatus.DISPATCHING, AppStatus.AWAITING_CHOICE]).exists()
    assert counts["fired"] > 0 and counts["accept"] > 0 and counts["choose"] > 0 and counts["refuse"] > 0
    assert Dispatch.objects.filter(status=Dispatch.Status.LAPSED).exists()
    books_balance()
