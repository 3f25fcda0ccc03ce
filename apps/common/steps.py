"""One step-runner for views: call one service, show what it refused, or say it is done and redirect.

A service refuses with a ``ValidationError`` whose first message tells the user what to do next. A view either
has no form to show it on (a button: the message goes to the messages, the page is shown again by a redirect) —
``run_step`` — or has one (``form_step``: the message goes on the form as a non-field error, the caller renders
the page again with the typed values)."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect

_FAILED = object()


def _call(fn, args, kwargs, refused: Callable[[str], None]):
    try:
        return fn(*args, **kwargs)
    except ValidationError as exc:
        refused(exc.messages[0])
        return _FAILED


def _value(spec, result):
    return spec(result) if callable(spec) else spec


def run_step(request, fn: Callable[..., Any], *args, success: str | Callable[[Any], str] | None = None,
             redirect_to: str, done_to: Callable[[Any], str] | None = None, **kwargs):
    """Call ``fn(*args, **kwargs)``; a refusal goes to the messages, otherwise ``success`` (a text, or a function
    of the service's result). Redirects to ``redirect_to`` (a URL or a URL name), or after success to
    ``done_to(result)`` when given."""
    result = _call(fn, args, kwargs, lambda text: messages.error(request, text))
    if result is _FAILED:
        return redirect(redirect_to)
    if success is not None:
        messages.success(request, _value(success, result))
    return redirect(done_to(result) if done_to is not None else redirect_to)


def form_step(request, form, fn: Callable[..., Any], *args, success: str | Callable[[Any], str] | None = None,
              redirect_to: str | Callable[[Any], str] | None = None, field: str | None = None, **kwargs):
    """Call ``fn(*args, **kwargs)`` for a valid ``form``. Refused: the message goes on the form (on ``field``,
    or as a non-field error) and None is returned, for the caller to render the page again. Done: ``success``
    goes to the messages and the redirect to ``redirect_to`` is returned (without one, the service's result)."""
    result = _call(fn, args, kwargs, lambda text: form.add_error(field, text))
    if result is _FAILED:
        return None
    if success is not None:
        messages.success(request, _value(success, result))
    return redirect(_value(redirect_to, result)) if redirect_to is not None else result


def form_errors_text(form) -> str:
    """A refused form's errors in one line (for a form that is not on the page the redirect shows)."""
    return "；".join(e for errs in form.errors.values() for e in errs)


def flash_hidden_errors(request, bound: Mapping[str, Any], shown) -> None:
    """A refused form whose step is no longer offered (the case or settlement moved on meanwhile) is not on
    the page again: its error goes to the messages instead, so the user still learns why."""
    for key, form in bound.items():
        if key not in shown and form.errors:
            messages.error(request, next(e for errs in form.errors.values() for e in errs))
