"""The three web areas, each a URL namespace with its own login page and menus:

* ``/ops/``      数银 operations workspace (staff)
* ``/platform/`` platform admin site (数银 system administrators)
* ``/inst/``     institution back office (each institution's staff)

Apps contribute ``ops_patterns`` / ``platform_patterns`` / ``inst_patterns`` from their urls.py.
"""
from django.contrib import admin
from django.urls import include, path

from apps.accounts import urls as accounts_urls
from apps.accounts.views import landing
from apps.applications import urls as applications_urls
from apps.members import urls as members_urls
from apps.messaging import urls as messaging_urls
from apps.platform_admin import urls as platform_admin_urls
from apps.positions import urls as positions_urls
from apps.products import urls as products_urls


def superuser_only(request):
    return request.user.is_active and request.user.is_superuser


admin.site.has_permission = superuser_only
admin.site.site_header = "数银在线 · Django 管理（仅超级管理员）"

ops = [*accounts_urls.ops_patterns, *members_urls.ops_patterns, *applications_urls.ops_patterns,
       *positions_urls.ops_patterns, *messaging_urls.patterns]
platform = [*accounts_urls.platform_patterns, *platform_admin_urls.platform_patterns, *products_urls.platform_patterns,
            *messaging_urls.patterns]
inst = [*accounts_urls.inst_patterns, *positions_urls.inst_patterns, *messaging_urls.patterns]

urlpatterns = [
    path("", landing, name="landing"),
    *accounts_urls.public_patterns,
    *positions_urls.public_patterns,
    path("ops/", include((ops, "ops"))),
    path("platform/", include((platform, "platform"))),
    path("inst/", include((inst, "inst"))),
    path("i18n/", include("django.conf.urls.i18n")),
    path("django-admin/", admin.site.urls),
]
