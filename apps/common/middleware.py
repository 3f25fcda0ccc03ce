import ipaddress

from .models import OperationLog
from .oplog import describe, succeeded

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}


def client_ip(request) -> str | None:
    """The client's address: REMOTE_ADDR, unless settings name the header our reverse proxy sets
    (TRUSTED_PROXY_HEADER; for X-Forwarded-For the entry TRUSTED_PROXY_COUNT from the right, the address our
    outermost proxy saw). A header a client sent past no trusted proxy is never read; a missing or malformed
    value falls back to REMOTE_ADDR."""
    from django.conf import settings

    remote = _valid_ip(request.META.get("REMOTE_ADDR", ""))
    header = getattr(settings, "TRUSTED_PROXY_HEADER", "")
    if not header:
        return remote
    raw = request.META.get("HTTP_" + header.upper().replace("-", "_"), "")
    entries = [part.strip() for part in raw.split(",") if part.strip()]
    count = getattr(settings, "TRUSTED_PROXY_COUNT", 1)
    if len(entries) < count:
        return remote
    return _valid_ip(entries[-count]) or remote


def _valid_ip(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


class OperationLogMiddleware:
    """Log every state-changing request with who, what, when, IP and result."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.method in STATE_CHANGING and not request.path.startswith("/static/"):
            user = getattr(request, "user", None)
            authed = bool(user and user.is_authenticated)
            match = getattr(request, "resolver_match", None)
            module, action, target = describe(url_name=match.url_name if match else "",
                                              func=match.func if match else None,
                                              kwargs=match.kwargs if match else {})
            OperationLog.objects.create(
                user=user if authed else None,
                username=(user.get_username() if authed else request.POST.get("username", ""))[:150],
                organization_id=getattr(user, "organization_id", None) if authed else None,
                area=getattr(request, "area", "") or "",
                method=request.method,
                path=request.path[:500],
                view_name=(match.view_name if match else "")[:200],
                status_code=response.status_code,
                ip=client_ip(request),
                module=module, action=action, target=target,
                success=succeeded(status_code=response.status_code,
                                  content_type=response.get("Content-Type", ""),
                                  htmx=request.headers.get("HX-Request") == "true"),
            )
        return response


class DefaultLanguageMiddleware:
    """Simplified Chinese unless the user chose another language (the language cookie set by
    /i18n/setlang/). Unlike LocaleMiddleware, the browser's Accept-Language is ignored: an
    English-language browser in a Chinese bank still gets the Chinese back office."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.conf import settings
        from django.utils import translation

        supported = {code for code, _ in settings.LANGUAGES}
        lang = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        lang = lang if lang in supported else settings.LANGUAGE_CODE
        translation.activate(lang)
        request.LANGUAGE_CODE = lang
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", lang)
        return response
