"""What the application detail page shows, as page-cache generations (``apps.common.pagecache``): the page is
served from the cache until one of these rows changes.

* ``app:<pk>``: the application, its status history, its documents, its dispatch attempts and their offers;
* ``ref``: the names and figures it shows of other records: member, product, region, users (customer manager,
  actors, uploaders) and organisations;
* ``tally``: the queue badges of the top bar (any application's change moves the status tally).

Writes through ``QuerySet.update`` or SQL send no signals: the services that write these records that way call
``pagecache.bump`` themselves (accounts.services.verification_decide, regions.services)."""
from django.apps import apps
from django.conf import settings

from apps.common import pagecache

NAMED_ELSEWHERE = ("members.Member", "products.Product", "regions.Region", "accounts.Organization")
LOGIN_FIELDS = {"last_login"}  # a sign-in saves these alone: nothing a page shows


def page_generation(application_id: int) -> str:
    return f"app:{application_id}"


def _application(app, _kw):
    return page_generation(app.pk), "tally"


def _part_of_application(row, _kw):
    return (page_generation(row.application_id),)


def _reference(_row, _kw):
    return ("ref",)


def _user(_user, kw):
    fields = kw.get("update_fields")
    return () if fields and set(fields) <= LOGIN_FIELDS else ("ref",)


def connect() -> None:
    pagecache.bump_on_change(apps.get_model("applications.Application"), _application)
    # the page lists the institutions still pending with their deadlines: an answer changes it too
    for label in ("applications.StatusChange", "applications.Document", "dispatch.Dispatch", "dispatch.Candidate"):
        pagecache.bump_on_change(apps.get_model(label), _part_of_application)
    for label in NAMED_ELSEWHERE:
        pagecache.bump_on_change(apps.get_model(label), _reference)
    pagecache.bump_on_change(apps.get_model(settings.AUTH_USER_MODEL), _user)
