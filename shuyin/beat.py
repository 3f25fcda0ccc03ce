"""Celery beat that runs as one active scheduler plus any number of standbys.

Every beat process ticks, but only the holder of a Redis lock (``settings.BEAT_LOCK_KEY``) sends due
tasks. The holder renews the lock's TTL (``settings.BEAT_LOCK_TTL`` seconds) on every tick and never
sleeps longer than a third of it; a standby retries as often. When the holder dies, its lock lapses
after the TTL and a standby takes it over; a holder that stops cleanly releases the lock at once.

The lock is redis-py's ``Lock``: ``SET key token NX PX ttl`` to take it and a Lua compare-and-reset
(``reacquire``) to renew it, so a holder can never renew a lock that someone else has taken meanwhile.

This is a lease, not a fence: a holder frozen for longer than the TTL (e.g. a VM pause) could send once
more after a standby took over. Every scheduled task is idempotent (the sweeps find due work in
PostgreSQL and apply it with compare-and-set), so such an overlap costs one extra, harmless sweep.
"""
import time

from celery.beat import PersistentScheduler
from celery.utils.log import get_logger
from redis.exceptions import LockError, LockNotOwnedError, RedisError

logger = get_logger(__name__)


class LockedScheduler(PersistentScheduler):
    """``celery beat -S shuyin.beat:LockedScheduler`` (the default through ``CELERY_BEAT_SCHEDULER``)."""

    def __init__(self, *args, **kwargs):
        from django.conf import settings

        self.lock_key = settings.BEAT_LOCK_KEY
        self.lock_ttl = float(settings.BEAT_LOCK_TTL)
        self._lock = None
        self._holding = False
        self._redis_down_since = None
        super().__init__(*args, **kwargs)
        # Wake up at least three times per TTL, so the holder renews in time and a standby notices a
        # lapsed lock within a third of the TTL.
        self.max_interval = min(self.max_interval, self.renew_every)

    @property
    def renew_every(self) -> float:
        return self.lock_ttl / 3

    def tick(self, *args, **kwargs):
        if not self._hold_lock():
            return self.renew_every
        return min(super().tick(*args, **kwargs), self.renew_every)

    def _hold_lock(self) -> bool:
        """True when this process holds the lock now (renewed, or just taken); False on standby.

        1. Holding: compare-and-renew the TTL; if the token no longer matches, the lock was lost.
        2. Not holding (or just lost): try to take it with SET NX.
        3. Redis unreachable: send nothing (another beat may hold the lock once Redis is back) and try
           again on the next tick; a lock that is still ours when Redis answers is simply renewed."""
        try:
            if self._lock is None:
                from shuyin.redis_ha import redis_client

                self._lock = redis_client().lock(self.lock_key, timeout=self.lock_ttl, blocking=False,
                                                 thread_local=False)
            if self._holding:
                try:
                    self._lock.reacquire()
                    self._redis_answers()
                    return True
                except LockNotOwnedError:
                    self._holding = False
                    logger.warning("beat: lost the lock %s; standing by", self.lock_key)
            if self._lock.acquire(blocking=False):
                self._holding = True
                logger.info("beat: acquired the lock %s (ttl %ss); this beat sends the schedule",
                            self.lock_key, self.lock_ttl)
            self._redis_answers()
            return self._holding
        except RedisError as exc:
            if self._redis_down_since is None:
                self._redis_down_since = time.monotonic()
                logger.warning("beat: cannot reach Redis for the lock %s (%r); sending nothing until it answers",
                               self.lock_key, exc)
            return False

    def _redis_answers(self) -> None:
        if self._redis_down_since is not None:
            logger.info("beat: Redis answers again after %.0fs", time.monotonic() - self._redis_down_since)
            self._redis_down_since = None

    def close(self):
        try:
            super().close()
        finally:
            self._release_lock()

    def _release_lock(self) -> None:
        if not self._holding or self._lock is None:
            return
        self._holding = False
        try:
            self._lock.release()
            logger.info("beat: released the lock %s", self.lock_key)
        except (LockError, RedisError):
            pass  # lapsed or unreachable: the TTL frees it anyway
