"""SIGKILL the Celery worker (parent and prefork child at once) in the middle of timer sweeps, over and over,
with a real beat sending the sweep: no dispatch round lost or done twice, every due timer fired exactly
once, every offer lapsed once, every hold released once."""
import time

import pytest

from conftest import wait_for

from .conftest import db_activity

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("chaos-celery")]


@pytest.mark.parametrize("kills", [pytest.param(6, id="short"), pytest.param(100, id="full", marks=pytest.mark.chaos)])
def test_worker_sigkill_mid_sweep(chaos_stack, world, books_balance, kills, clock_reset):
    world.setup(running=max(40, kills * 4), choosing=max(6, kills // 2))
    chaos_stack.beat()
    in_transaction = mid_batch = 0
    started = time.monotonic()
    for i in range(kills):
        # top up the due work so that the worker always has a batch to get through when it is killed
        if world.pending() < 15:
            world.make_due(rounds=25, choices=3)
            if i % 3 == 0:
                world.add_ready(2, unserved=1)
        before = world.applied()
        worker = chaos_stack.worker()
        target = before + world.rng.randint(1, 6)
        assert wait_for(lambda: world.applied() >= target, timeout=120, interval=0.05), chaos_stack.tail()
        time.sleep(world.rng.uniform(0, 0.15))
        busy = db_activity()
        chaos_stack.kill(worker)
        in_transaction += bool(busy.get("active") or busy.get("idle in transaction"))
        mid_batch += world.pending() > 0

    # a worker that stays up finishes everything that is due
    chaos_stack.worker()
    assert wait_for(lambda: world.pending() == 0, timeout=180, interval=0.3), chaos_stack.tail()
    time.sleep(2)  # beat keeps sending sweeps: they must find nothing left to do
    assert not chaos_stack.task_errors(), chaos_stack.task_errors()
    figures = world.audit()
    books_balance()
    print(f"\n[chaos] worker SIGKILL ×{kills} in {time.monotonic() - started:.0f}s: {in_transaction} kills with the "
          f"worker's transaction open, {mid_batch} with due work left; {figures}")
    # the kills must really land mid-sweep, not between sweeps
    # the batched sweep commits faster than one deadline at a time: at least half the kills must land with its
    # transaction open (each such kill is a rolled-back batch that must still be applied exactly once)
    assert mid_batch >= kills * 0.5, (mid_batch, kills)
