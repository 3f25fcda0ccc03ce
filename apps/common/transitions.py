"""One transition kernel for every workflow (applications, cases, settlement, complaints, dispatch).

A workflow step is the same sequence everywhere, inside one transaction:

1. lock the row through the app's scoped selector (another tenant's row answers 404, like a missing one);
2. check the actor's permission code (403);
3. check the django-fsm condition (or, for a step that changes no status, that the row is in one of the
   ``expect``-ed states) — the loser of a race is told to refresh the page;
4. the step's own rules under the lock (``check``): they may refuse, set fields, and return the log text;
5. move (the django-fsm transition), then ``then`` (what depends on the new status), save;
6. write one row to the app's log table (``LogTable.write``: one writer over the five tables);
7. ``after``: what the step moves besides its row, in the same transaction (the application a case's
   disbursement moves, the hold it releases);
8. message the next people (``Notice``) and queue the after-commit work (``on_commit``, run only once the
   outermost transaction commits — never after a rollback).

Each app declares its ``Workflow`` once (how it locks, its log table, how a refusal reads) and its services
call ``Workflow.run``. Views ask the same declaration which steps a user may take now (``Workflow.allowed``,
from the state machine and the permission codes), so no view restates a service's rules. ``apps.common``
imports no app: the message sender is given to the workflow by the app that declares it."""
from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Generic, TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django_fsm import can_proceed, has_transition_perm

from apps.common import clock

M = TypeVar("M", bound=models.Model)


class LogTable:
    """The writer of one app's log table (StatusChange, CaseLog, SettlementLog, ComplaintLog, dispatch Event).

    The tables differ in their columns, not in what a step records: ``write`` fills the columns the table
    has — the status pair only where it keeps one, ``at`` unless the table stamps it itself — and cuts the
    text to the column's length."""

    def __init__(self, model: type[models.Model], fk: str, *, text_field: str = "text", still_status: bool = True,
                 subject: Callable[[Any], models.Model] | None = None,
                 written: Callable[[models.Model], Any] | None = None):
        # ``still_status``: a step that moves nothing records the unchanged status (or, False, no status pair:
        # a note in the log, not a step of the status machine); ``subject``: the row the log belongs to when it
        # is not the moved row itself (an offer's moves go to its dispatch's log); ``written(owner)``: after each
        # row, in the transaction (e.g. a webhook event)
        self.model, self.fk, self.text_field, self.still_status = model, fk, text_field, still_status
        self.subject, self.written = subject, written

    @cached_property
    def _shape(self) -> tuple[int | None, bool, bool]:
        opts = self.model._meta
        names = {f.name for f in opts.get_fields()}
        at = opts.get_field("at") if "at" in names else None
        return (opts.get_field(self.text_field).max_length, "to_status" in names,
                at is not None and not getattr(at, "auto_now_add", False))

    def write(self, row: models.Model, *, text: str, actor=None, from_status: str = "", to_status: str = "",
              at=None) -> models.Model:
        length, statuses, stamps = self._shape
        owner = self.subject(row) if self.subject is not None else row
        values: dict[str, Any] = {self.fk: owner, "actor": actor, self.text_field: text[:length] if length else text}
        if statuses:
            values.update(from_status=from_status or "", to_status=to_status or "")
        if stamps:
            values["at"] = at or clock.now()
        entry = self.model.objects.create(**values)
        if self.written is not None:
            self.written(owner)
        return entry


def _value(spec, row):
    return spec(row) if callable(spec) else spec


@dataclass(frozen=True)
class Notice:
    """One in-site message a step sends. Each part is a value or a function of the moved row."""

    to: Any  # users or user ids, or row → users/ids
    title: Any
    link: Any = ""
    body: Any = ""
    category: str = "workflow"
    from_actor: bool = False  # the actor is the message's sender (otherwise the system)
    event: str = ""  # the notification kind (apps/notifications/events.py); empty: derived from category and link

    def send(self, sender: Callable[..., Any], row, actor) -> None:
        extra = {"event": self.event} if self.event else {}
        sender(recipients=list(_value(self.to, row)), title=_value(self.title, row), link=_value(self.link, row),
               body=_value(self.body, row), category=self.category, sender=actor if self.from_actor else None,
               **extra)


class Workflow(Generic[M]):
    """The declaration of one app's workflow: how a row is locked for an actor, where its log goes, how a
    refused step reads, and the message sender.

    ``lock(actor, pk)`` locks and returns the row the state machine lives on (raising Http404 when the actor's
    scope does not hold it; rows that must be locked before it, e.g. the application, are locked first and
    hung on the row). ``refused`` is the refusal text with ``%(status)s`` and ``%(label)s``."""

    def __init__(self, *, lock: Callable[[Any, int], M], log: LogTable, refused: str,
                 send: Callable[..., Any], field: str = "status", on_move: Callable[[M, str], Any] | None = None):
        # ``on_move(row, old_status)``: after every change of status, in the transaction (e.g. a webhook event)
        self.lock, self.log, self.refused_text, self.send, self.field = lock, log, refused, send, field
        self.on_move = on_move

    def refusal(self, row: M, label: str) -> ValidationError:
        status = getattr(row, f"get_{self.field}_display")()
        return ValidationError(str(self.refused_text) % {"status": status, "label": label})

    def run(self, *, actor, pk: int, perm: str | Callable[[M], str] | None, label: str,
            method: str | Callable[[M], str | None] | None = None,
            expect: Iterable[str] | None = None, check: Callable[[M], str | None] | None = None,
            then: Callable[[M], None] | None = None, after: Callable[[M], Any] | None = None,
            text: str | Callable[[M], str] = "",
            notify: Sequence[Notice] | Callable[[M], Sequence[Notice]] = (),
            on_commit: Sequence[Callable[[M], Any]] = (),
            within: Callable[[], contextlib.AbstractContextManager] | None = None, save: bool = True,
            log: bool = True) -> M:
        """Run one step (the numbered sequence in the module docstring) and return the moved row.

        ``perm`` and ``method`` may depend on the locked row (the code of the current review step, which of two
        moves a confirmation makes); ``text`` is the log
        text unless ``check`` returns one; ``within`` adds a context around the transaction's body (e.g. the
        dispatch statistics collector)."""
        with transaction.atomic(), (within() if within else contextlib.nullcontext()):
            row = self.lock(actor, pk)
            code = perm(row) if callable(perm) else perm
            if code and not actor.has_perm(code):
                raise PermissionDenied(code)
            if callable(method):
                method = method(row)
            if method is not None and not can_proceed(getattr(row, method)):
                raise self.refusal(row, label)
            if expect is not None and getattr(row, self.field) not in set(expect):
                raise self.refusal(row, label)
            note = check(row) if check else None
            self.apply(row, method, actor=actor, text=note or _value(text, row), then=then, save=save, log=log)
            if after is not None:
                after(row)
            for notice in (notify(row) if callable(notify) else notify):
                notice.send(self.send, row, actor)
            for work in on_commit:
                transaction.on_commit(lambda work=work: work(row))
            return row

    def apply(self, row: M, method: str | None, *, actor=None, text: str = "", then=None, save: bool = True,
              log: bool = True) -> M:
        """Steps 5–6 on a row the caller has locked and checked: move, save, write the log row. Other apps'
        steps that move this app's row as part of their own (a case's disbursement moves its application)
        come in here, so every change of status is recorded the same way."""
        old = getattr(row, self.field)
        if method is not None:
            getattr(row, method)()
        if then is not None:
            then(row)
        if save:
            row.save()
        if log:
            new = getattr(row, self.field)
            if method is None and not self.log.still_status:
                old = new = ""
            self.log.write(row, actor=actor, from_status=old, to_status=new, text=text)
        if method is not None and self.on_move is not None:
            self.on_move(row, old)
        return row

    def allowed(self, row: M, user, steps: Mapping[str, tuple[str | Iterable[str], str]],
                who: Callable[[M, Any, str], bool] | None = None) -> list[str]:
        """The steps ``user`` may take on ``row`` now, in ``steps``' order. ``steps`` maps a step's name to (its
        django-fsm transition — or, for a step taken inside a state, the states it is taken in — and its
        permission code). A step is offered when the state machine allows it from the current state (the
        transition's conditions included), the user holds the code, and ``who(row, user, name)`` (the step's
        own rule, when the workflow has one: the owner, a confirmation not given yet) agrees. The services
        check all of it again under the row lock."""
        open_ = {t.name: t for t in getattr(row, f"get_available_{self.field}_transitions")()}
        state = getattr(row, self.field)
        names = []
        for name, (where, code) in steps.items():
            if isinstance(where, str):
                if where not in open_ or not has_transition_perm(getattr(row, where), user):
                    continue
            elif state not in set(where):
                continue
            if user.has_perm(code) and (who is None or who(row, user, name)):
                names.append(name)
        return names
