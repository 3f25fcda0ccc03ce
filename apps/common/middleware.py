from .models import OperationLog

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}


def client_ip(request) -> str | None:
    """The client's address. Behind a proxy, set the proxy to overwrite X-Real-IP."""
    return request.META.get("HTTP_X_REAL_IP") or request.META.get("REMOTE_ADDR") or None


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
