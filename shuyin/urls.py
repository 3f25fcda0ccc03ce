"""The three web areas, each a URL namespace with its own login page and menus:

* ``/ops/``      数银 operations workspace (staff)
* ``/platform/`` platform admin site (数银 system administrators)
* ``/inst/``     institution back office (each institution's staff)

Apps contribute ``ops_patterns`` / ``platform_patterns`` / ``inst_patterns`` / ``public_patterns`` from their
urls.py; they are collected here automatically (a new app needs no edit of this file).
"""
from django.contrib import admin
from django.http import HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import include, path

from apps.accounts.views import landing
from apps.common.discovery import app_modules
from apps.messaging import urls as messaging_urls
from apps.observability import health, metrics


def superuser_only(request):
    return request.user.is_active and request.user.is_superuser


admin.site.has_permission = superuser_only
admin.site.site_header = "数银在线 · Django 管理（仅超级管理员）"


def favicon(request):
    """Browsers ask for /favicon.ico whatever the page links: send them to the static icon."""
    return HttpResponsePermanentRedirect(static("favicon.ico"))


def _collect(name: str) -> list:
    """Every app's ``<name>`` list from its urls.py, in INSTALLED_APPS order."""
    return [p for _config, module in app_modules("urls") for p in getattr(module, name, [])]


ops = [*_collect("ops_patterns"), *messaging_urls.patterns]
platform = [*_collect("platform_patterns"), *messaging_urls.patterns]
inst = [*_collect("inst_patterns"), *messaging_urls.patterns]

urlpatterns = [
    path("", landing, name="landing"),
    path("favicon.ico", favicon),
    # Operations (apps/observability): probes and Prometheus metrics, no sign-in. RequestIdMiddleware answers them
    # before sessions and ALLOWED_HOSTS; these routes serve them where it is not installed, and /metrics' 404.
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics.metrics, name="metrics"),
    *_collect("public_patterns"),
    path("ops/", include((ops, "ops"))),
    path("platform/", include((platform, "platform"))),
    path("inst/", include((inst, "inst"))),
    path("i18n/", include("django.conf.urls.i18n")),
    path("django-admin/", admin.site.urls),
]
