"""Restart Redis (the broker and the beat lock's home) under a running worker and beat, again and again,
each time while a sweep is applying due deadlines. Redis keeps nothing across a restart, so every queued
sweep is lost: the database-driven sweep must still apply all due work, exactly once."""
import time

import pytest

from conftest import wait_for

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("chaos-celery")]


@pytest.mark.parametrize("restarts", [pytest.param(4, id="short"),
                                      pytest.param(20, id="full", marks=pytest.mark.chaos)])
def test_redis_restarts_mid_run(private_redis, chaos_stack, world, books_balance, restarts, clock_reset):
    chaos_stack.env["REDIS_URL"] = private_redis.url
    world.setup(running=restarts * 12 + 20, choosing=restarts)
    worker = chaos_stack.supervised_worker(concurrency=2)
    beat = chaos_stack.beat()
    mid = 0
    started = time.monotonic()
    for i in range(restarts):
        world.make_due(rounds=12, choices=1)
        world.add_ready(2, unserved=1)
        before = world.applied()
        # restart while the sweep is on this batch (or, now and then, before it got to it)
        assert wait_for(lambda: worker.check() and world.applied() > before, timeout=180, interval=0.05), \
            chaos_stack.tail()
        time.sleep(world.rng.uniform(0, 0.3))
        mid += world.pending() > 0
        private_redis.restart(down_for=world.rng.uniform(0.2, 3))

    assert wait_for(lambda: worker.check() and world.pending() == 0, timeout=240, interval=0.3), chaos_stack.tail()
    time.sleep(2)
    worker.check()
    assert beat.poll() is None, "beat died with Redis:\n" + chaos_stack.tail()
    crashes = sum("Unrecoverable error" in f.read_text(errors="replace") for f in chaos_stack.logs.glob("worker-*.log"))
    # a task may fail while Redis is down (the cache is Redis too); nothing else may
    errors = chaos_stack.task_errors()
    assert all(k.endswith(("ConnectionError", "TimeoutError")) for k in errors), errors
    figures = world.audit()
    books_balance()
    print(f"\n[chaos] Redis restarted ×{restarts} in {time.monotonic() - started:.0f}s, {mid} times with due work "
          f"left; the worker exited {worker.restarts} times (restarted by the supervisor), {crashes} worker "
          f"logs with Celery's 'Unrecoverable error'; tasks failed on the missing Redis: {dict(errors)}; {figures}")
