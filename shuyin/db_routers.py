"""Read replica routing for reports.

Nothing goes to the replica by accident: reads are sent there only inside an explicit
``reporting_reads()`` scope (the report pages and the export task enter it), and only when
``settings.REPORTING_DATABASE`` names a configured alias (``DATABASE_REPLICA_URL`` sets it).
Everything else — every write, every read outside the scope, every read inside a transaction
on ``default`` and the rows listed in ``PRIMARY_ONLY`` — stays on ``default``.

A streaming replica lags the primary by a little (usually milliseconds, more under load), so a
report may miss the last moments of activity; that is acceptable for statistics and exports,
never for money or workflow decisions, which is why the scope is opt-in.
"""
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

_reporting: ContextVar[bool] = ContextVar("shuyin_reporting_reads", default=False)

# Rows that are written and read back at once by the code that runs inside the scope: an export
# job claims its row and reports progress on the primary, so it must read the row there too
# (on a lagging replica a job queued a moment ago may not exist yet).
PRIMARY_ONLY = frozenset({"reports.exportjob"})


@contextmanager
def reporting_reads():
    """Send this block's reads to the reporting replica (when one is configured).

    Usable as ``with reporting_reads():`` or as a decorator ``@reporting_reads()``; scopes nest and
    are per thread / per asyncio task (a context variable)."""
    token = _reporting.set(True)
    try:
        yield
    finally:
        _reporting.reset(token)


def in_reporting_scope() -> bool:
    return _reporting.get()


def reporting_alias() -> str | None:
    """The alias report reads use right now, or None when they stay on ``default``."""
    alias = getattr(settings, "REPORTING_DATABASE", None)
    if not alias or alias == DEFAULT_DB_ALIAS or alias not in settings.DATABASES:
        return None
    return alias


class ReportReplicaRouter:
    """``DATABASE_ROUTERS`` entry: report reads to the replica inside the scope, all else to default."""

    def db_for_read(self, model, **hints):
        if not _reporting.get():
            return DEFAULT_DB_ALIAS
        alias = reporting_alias()
        if alias is None or model._meta.label_lower in PRIMARY_ONLY:
            return DEFAULT_DB_ALIAS
        # Inside a transaction on the primary a block must read its own writes.
        if connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return DEFAULT_DB_ALIAS
        return alias

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        # The replica holds the same rows as the primary: objects read from either may be related.
        aliases = {DEFAULT_DB_ALIAS, reporting_alias() or DEFAULT_DB_ALIAS}
        if obj1._state.db in aliases and obj2._state.db in aliases:
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # Only the primary carries a schema of its own; a streaming replica is read-only and
        # receives every migration from the primary's WAL.
        return db == DEFAULT_DB_ALIAS
