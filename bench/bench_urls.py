"""The product's URLs plus the benchmark's baselines (bench.md): a constant, a one-query template page, a bare
50-row paginated list of the applications table, and Django admin's changelist of the same table."""
from django.contrib import admin
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.template import engines
from django.urls import path

from apps.accounts.permissions import area_view
from apps.applications.models import Application
from apps.regions.models import Region

_ONE = engines["django"].from_string(
    "<html><body><ul>{% for r in rows %}<li>{{ r.code }} {{ r.name }}</li>{% endfor %}</ul></body></html>")
_LIST = engines["django"].from_string(
    "<html><body><table>{% for a in page %}<tr><td>{{ a.order_no }}</td><td>{{ a.product.name }}</td>"
    "<td>{{ a.amount }}</td><td>{{ a.status }}</td></tr>{% endfor %}</table>{{ page.number }}/"
    "{{ page.paginator.num_pages }}</body></html>")


def const(request):
    return HttpResponse("ok")


def onequery(request):
    return HttpResponse(_ONE.render({"rows": Region.objects.filter(level=1).order_by("code")[:12]}))


_SHELL = engines["django"].from_string('{% extends "ops/base.html" %}{% block content %}{% endblock %}')


@area_view()
def ops_shell(request):
    """Not a baseline of the contract: the floor of every signed-in 数银 page — session, user, rights, the area's
    layout (menu, badges, unread messages) around an empty content block."""
    return HttpResponse(_SHELL.render({}, request))


def bare_list(request):
    qs = Application.objects.select_related("product").order_by("-id")
    return HttpResponse(_LIST.render({"page": Paginator(qs, 50).get_page(request.GET.get("page"))}))


class ApplicationAdmin(admin.ModelAdmin):
    list_display = ("order_no", "product", "amount", "status", "submitted_at")
    list_select_related = ("product",)
    list_per_page = 50


if not admin.site.is_registered(Application):
    admin.site.register(Application, ApplicationAdmin)

from shuyin.urls import urlpatterns as product  # noqa: E402 — after the registration: admin builds its URLs on import

urlpatterns = [path("bench/const/", const), path("bench/onequery/", onequery), path("bench/list/", bare_list),
               path("ops/bench/shell/", ops_shell), *product]
