"""First in MIDDLEWARE (after django-prometheus' "before" counter): gives every request its id and answers the
probes before anything else runs.

The probes (``/healthz``, ``/readyz``, ``/metrics``) are answered here so that no session is read, no sign-in or
area rule applies, and neither ``ALLOWED_HOSTS`` (a load balancer probes a host by its address) nor the HTTPS
redirect (it probes over plain HTTP, behind the TLS proxy) turns them into a 400 or a 301. The same views are also
routed in shuyin/urls.py, where this middleware is not installed."""
from .metrics import metrics_allowed
from .requestid import HEADER, request_id_clean, request_id_set


class RequestIdMiddleware:
    def __init__(self, get_response):
        from . import health, metrics

        self.get_response = get_response
        self.metrics = metrics.metrics
        self.probes = {"/healthz": health.healthz, "/readyz": health.readyz, "/metrics": metrics.metrics}

    def __call__(self, request):
        rid = request_id_clean(request.headers.get(HEADER))
        request.request_id = rid
        # Not reset when this returns: Django logs a 4xx/5xx ("Not Found: …") after the whole middleware chain,
        # so the id stays until request_finished clears it (apps.observability.requestid.request_id_clear).
        request_id_set(rid)
        probe = self.probes.get(request.path_info.rstrip("/") or "/")
        if probe is not None and request.method in ("GET", "HEAD") and (
                probe is not self.metrics or metrics_allowed(request.META.get("REMOTE_ADDR"))):
            response = probe(request)
        else:  # anything else, and /metrics for an address not allowed (the ordinary 404 page, via urls.py)
            response = self.get_response(request)
        response[HEADER] = rid
        return response
