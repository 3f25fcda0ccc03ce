import time

from django.conf import settings
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse

from .models import Area

AREA_PREFIXES = {f"/{a.value}/": a.value for a in Area}
LOGIN_AT_KEY = "shuyin_login_at"
EPOCH_KEY = "shuyin_session_epoch"
SEEN_KEY = "shuyin_seen_at"


def area_of_path(path: str) -> str:
    for prefix, area in AREA_PREFIXES.items():
        if path.startswith(prefix):
            return area
    return ""


class SessionTimeoutMiddleware:
    """Sets ``request.area`` from the URL and enforces the absolute session lifetime.

    The idle timeout is SESSION_COOKIE_AGE, counted from the last save of the session: a request refreshes it by
    touching the session when the last touch is older than SESSION_REFRESH_SECONDS, so a busy user costs one
    session write a minute instead of one per request (the idle limit is kept to within that minute)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.area = area_of_path(request.path)
        if request.user.is_authenticated:
            login_at = request.session.get(LOGIN_AT_KEY)
            expired = login_at is None or time.time() - login_at > settings.SESSION_ABSOLUTE_SECONDS
            revoked = request.session.get(EPOCH_KEY, 0) != request.user.session_epoch
            if expired or revoked:
                logout(request)
                if request.area:
                    return redirect(f"{reverse(request.area + ':login')}?expired=1")
            else:
                now = int(time.time())
                if now - request.session.get(SEEN_KEY, 0) >= settings.SESSION_REFRESH_SECONDS:
                    request.session[SEEN_KEY] = now  # marks the session modified: saved with a new expiry
        return self.get_response(request)
