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
