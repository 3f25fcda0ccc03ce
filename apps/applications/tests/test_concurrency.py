import pytest
from django.core.exceptions import ValidationError

from apps.applications import services
from apps.applications.models import Application, DailySequence
from apps.common.testing import run_threads


@pytest.mark.django_db(transaction=True)
@pytest.mark.xdist_group("db-threads")  # one at a time: PostgreSQL allows 100 connections
def test_two_reviewers_at_once_exactly_one_wins(cast, draft):
    from apps.accounts.services import platform_role, user_create

    cs2 = user_create(username="t_cs2", password=cast.password, real_name="CS2", organization=cast.shuyin,
                      roles=[platform_role("cs")])
    app = draft()
    services.application_submit(actor=cast.cm, application_id=app.pk)
    actors = [cast.cs, cs2]

    def act(i):
        if i == 0:
            return services.cs_pass(actor=actors[i], application_id=app.pk)
        return services.cs_reject(actor=actors[i], application_id=app.pk, comment="同时拒绝")

    results, errors = run_threads(2, act)
    assert sum(r is not None for r in results) == 1
    loser = next(e for e in errors if e is not None)
    assert isinstance(loser, ValidationError) and "可能已被他人处理" in loser.messages[0]
    assert Application.objects.get(pk=app.pk).history.count() == 3


@pytest.mark.django_db(transaction=True)
@pytest.mark.xdist_group("db-threads")  # one at a time: PostgreSQL allows 100 connections
def test_concurrent_order_numbers_unique_and_gap_free():
    from datetime import date

    day = date(2026, 11, 28)
    results, errors = run_threads(24, lambda i: services.order_no_next(day=day))
    assert errors == [None] * 24
    assert sorted(results) == [f"SY20261128{n:04d}" for n in range(1, 25)]
    assert DailySequence.objects.get(day=day).last == 24


@pytest.mark.django_db
def test_rolled_back_number_is_reused():
    from datetime import date

    from django.db import transaction

    day = date(2026, 11, 29)
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            services.order_no_next(day=day)
            raise RuntimeError("submission failed")
    assert services.order_no_next(day=day) == "SY202611290001"
