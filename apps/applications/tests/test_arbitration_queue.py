"""Issue 16 §3: a 客服 rejection waits for 贷审's arbitration ("是否合理") in 贷审's own 待仲裁 queue, counted in
the top bar through the status tally like the other review queues."""
import pytest

from apps.applications import selectors, services
from apps.applications.models import Status
from apps.applications.tests.test_tally import bulk

pytestmark = pytest.mark.django_db


def rejected(cast, draft):
    app = draft()
    services.application_submit(actor=cast.cm, application_id=app.pk)
    services.cs_reject(actor=cast.cs, application_id=app.pk, comment="身份证照片模糊")
    return app


def test_cs_rejection_lands_in_the_lr_arbitration_queue_with_its_badge(client, cast, login, draft):
    app = rejected(cast, draft)
    assert app in selectors.queue_for_user(user=cast.lr, queue="arbitration")
    assert selectors.queue_counts(user=cast.lr)["arbitration"] == 1
    assert "arbitration" not in selectors.queue_counts(user=cast.cs)  # 客服 does not arbitrate
    login(cast.lr)
    html = client.get("/ops/").content.decode()
    assert 'href="/ops/queues/arbitration/">待仲裁 <span class="badge text-bg-danger">1</span>' in html
    page = client.get("/ops/queues/arbitration/").content.decode()
    assert app.order_no in page and "共 1 条" in page and "待仲裁" in page
    services.arbitrate(actor=cast.lr, application_id=app.pk, reasonable=False, comment="照片可辨认")
    assert selectors.queue_counts(user=cast.lr)["arbitration"] == 0
    assert app.order_no not in client.get("/ops/queues/arbitration/").content.decode()
    assert selectors.tally_check() == []


@pytest.mark.parametrize("who", ["cm", "cs", "of", "a_admin"])
def test_arbitration_queue_refuses_other_roles(client, cast, login, who):
    login(getattr(cast, who))
    assert client.get("/ops/queues/arbitration/").status_code == 403


def test_arbitration_queue_shows_only_the_users_scope(client, cast, login, draft):
    """A team leader with the code sees only their team's rejections (another team's answers 404 on its page)."""
    app = rejected(cast, draft)
    assert app in selectors.queue_for_user(user=cast.lrs, queue="arbitration")
    login(cast.b_admin)
    assert client.get(f"/ops/applications/{app.pk}/").status_code in (403, 404)


@pytest.mark.parametrize("rows", [5, 120])
def test_arbitration_queue_query_count_is_fixed(client, cast, login, product, django_assert_num_queries, rows):
    bulk(cast, product, rows, status=Status.CS_REJECTED)
    login(cast.lr)
    client.get("/ops/queues/arbitration/?size=100")
    with django_assert_num_queries(6):  # the tally sums (total and top-bar badges), ids of the page, its rows
        assert client.get("/ops/queues/arbitration/?size=100&q=客户").status_code == 200
