"""Two beat schedulers on a short schedule, both sending every entry (Celery's plain scheduler, without the
product's beat lock: the services alone must make a doubled schedule harmless), a worker running two
sweeps at once, and new due work arriving all the time: no duplicate effect."""
import re
import time

import pytest

from conftest import wait_for

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("chaos-celery")]


@pytest.mark.parametrize("seconds", [pytest.param(30, id="short"),
                                     pytest.param(600, id="full", marks=pytest.mark.chaos)])
def test_two_beats_no_duplicate_effects(chaos_stack, world, books_balance, seconds, clock_reset):
    world.setup(running=30, choosing=8)
    chaos_stack.worker(concurrency=2)
    beats = [chaos_stack.beat(locked=False), chaos_stack.beat(locked=False)]
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        world.make_due(rounds=world.rng.randint(1, 6), choices=int(world.rng.random() < 0.2))
        world.add_ready(world.rng.randint(0, 2), unserved=world.rng.randint(0, 2))  # the sweep starts these
        time.sleep(world.rng.uniform(0.3, 1.5))

    assert wait_for(lambda: world.pending() == 0, timeout=240, interval=0.3), chaos_stack.tail()
    time.sleep(2)
    assert all(b.poll() is None for b in beats), chaos_stack.tail()
    assert not chaos_stack.task_errors(), chaos_stack.task_errors()  # e.g. two overlapping rankings rebuilds
    figures = world.audit()
    books_balance()
    logs = sorted(chaos_stack.logs.glob("beat-*.log"))
    sent = [len(re.findall(r"Sending due task dispatch\.sweep", p.read_text(errors="replace"))) for p in logs]
    print(f"\n[chaos] two beats for {seconds}s: sweeps sent by each beat {sent}; {figures}")
    assert all(n > 0 for n in sent), "both beats must really send the sweep"
