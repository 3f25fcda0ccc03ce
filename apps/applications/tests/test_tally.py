"""The status tally (kept by triggers) agrees with the applications table after every kind of write, survives
compaction, and lets the queue pages skip counting the table; deep pages come through the deferred join."""
import threading

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from apps.applications import selectors, services
from apps.applications.models import Application, Status, StatusTally
from apps.common.views import ListPaginator, sort_queryset
from apps.members.models import Member

pytestmark = pytest.mark.django_db


def bulk(cast, product, n, status=Status.LR_REVIEW, start=0):
    from apps.regions.models import Region

    district = Region.objects.get(code="440305")
    members = Member.objects.bulk_create([
        Member(real_name=f"客户{i}", id_number=f"T{i:017d}", mobile=f"137{i:08d}", address="x",
               client_type="individual", birth_date="1990-01-01", id_photo_front="a", id_photo_back="b",
               status="verified", registered_by=cast.cm, organization=cast.team) for i in range(start, start + n)])
    return Application.objects.bulk_create([
        Application(order_no=f"SY20261101{i:05d}", member=m, product=product, amount="10000", term_months=6,
                    region=district, purpose="x", client_type="individual", status=status, cm=cast.cm,
                    organization=cast.team, submitted_at=f"2026-11-01T{i % 24:02d}:00:00+08:00")
        for i, m in zip(range(start, start + n), members)])


def test_tally_follows_inserts_updates_deletes_and_compaction(cast, product):
    apps = bulk(cast, product, 30)
    assert selectors.tally_check() == []
    assert selectors.queue_counts(user=cast.lr)["lr"] == 30
    Application.objects.filter(pk__in=[a.pk for a in apps[:10]]).update(status=Status.PENDING_PLAN)  # same queue
    Application.objects.filter(pk__in=[a.pk for a in apps[10:15]]).update(status=Status.LR_REJECTED)
    Application.objects.filter(pk=apps[15].pk).update(manual_intervention=True)
    Application.objects.filter(pk=apps[16].pk).update(purpose="仅改用途")  # no key changes: no delta row
    Application.objects.filter(pk__in=[a.pk for a in apps[20:]]).delete()
    assert selectors.tally_check() == []
    counts = selectors.queue_counts(user=cast.lr)
    assert counts["lr"] == 15 and selectors.tally_sums(user=cast.lr)["lr"] == 15
    rows_before = StatusTally.objects.count()
    folded = services.tally_compact()
    assert folded == rows_before and StatusTally.objects.count() < rows_before
    assert selectors.tally_check() == [] and selectors.queue_counts(user=cast.lr) == counts
    # a raw statement outside the ORM is counted too
    with connection.cursor() as cur:
        cur.execute("UPDATE applications_application SET status = 'withdrawn' WHERE status = 'pending_plan'")
    assert selectors.tally_check() == [] and selectors.tally_sums(user=cast.lr)["lr"] == 5


def test_tally_follows_the_workflow_services(cast, draft):
    app = draft()
    services.application_submit(actor=cast.cm, application_id=app.pk)
    assert selectors.queue_counts(user=cast.cs)["cs"] == 1
    services.cs_pass(actor=cast.cs, application_id=app.pk, comment="")
    assert selectors.queue_counts(user=cast.cs)["cs"] == 0 and selectors.queue_counts(user=cast.lr)["lr"] == 1
    assert selectors.tally_check() == []


def test_unfiltered_queue_page_does_not_count_the_table(client, cast, login, product):
    bulk(cast, product, 45)
    login(cast.lr)
    with CaptureQueriesContext(connection) as ctx:
        page = client.get("/ops/queues/lr/?size=20&page=3").content.decode()
    counted = [q["sql"] for q in ctx.captured_queries
               if "COUNT(" in q["sql"].upper() and "applications_application" in q["sql"]]
    assert counted == [] and "共 45 条" in page
    # a filter makes the total a real count of what matches
    page = client.get("/ops/queues/lr/?q=SY2026110100007").content.decode()
    assert "共 1 条" in page


@pytest.mark.parametrize("sort", ["submitted", "-submitted", "amount", "-time"])
def test_deferred_join_pages_equal_offset_pages(rf, cast, product, sort):
    bulk(cast, product, 57)
    qs, _ = sort_queryset(rf.get("/", {"sort": sort}), selectors.queue_for_user(user=cast.lr, queue="lr"),
                          {"time": "created_at", "amount": "amount", "submitted": "submitted_at"}, "submitted")
    expected = list(qs.values_list("pk", flat=True))
    pager = ListPaginator(qs, 10, count=57, deferred=True)
    got = [a.pk for n in pager.page_range for a in pager.page(n)]
    assert got == expected and pager.num_pages == 6


@pytest.mark.django_db(transaction=True)
def test_concurrent_transitions_keep_the_tally(cast, product):
    """Eight threads move their own applications at once: the insert-only deltas never block each other."""
    apps = bulk(cast, product, 40)
    errors = []

    def worker(chunk):
        try:
            for a in chunk:
                Application.objects.filter(pk=a.pk).update(status=Status.READY)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(apps[i::8],)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and selectors.tally_check() == []
    assert selectors.queue_counts(user=cast.lr)["lr"] == 0
