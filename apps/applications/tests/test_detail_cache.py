"""The application detail page is served from the page cache (apps/common/pagecache.py, apps/applications/pages.py):
the cached page must be the page, show every change at the next request, and never reach anyone the view refuses."""
import re

import pytest
from django.core.cache import cache
from django.test import Client

from apps.accounts.models import DataScope, Role
from apps.applications import services
from apps.common import pagecache
from apps.messaging.services import message_send
from tests.fixtures.workflow import png

CLOCK = re.compile(r'<span class="clock"[^>]*>[^<]*</span>')
TOKEN = re.compile(r'(name="csrfmiddlewaretoken" value="|"X-CSRFToken": ")[^"]+')


def same_page(html: str) -> str:
    """The page without what differs on every response (clock, CSRF token mask)."""
    return TOKEN.sub(r"\1-", CLOCK.sub("", html))


@pytest.fixture
def in_cs_review(cast, draft):
    app = draft()
    return services.application_submit(actor=cast.cm, application_id=app.pk)


def test_the_second_view_is_the_same_page_from_the_cache(client, cast, login, in_cs_review,
                                                         django_assert_max_num_queries):
    login(cast.cs)
    url = f"/ops/applications/{in_cs_review.pk}/"
    first = client.get(url).content.decode()
    with django_assert_max_num_queries(1):  # the user row (kept fresh: switching a user off takes effect at once)
        second = client.get(url).content.decode()
    assert same_page(second) == same_page(first)
    assert in_cs_review.order_no in second and "客服审核通过" in second
    assert pagecache.CSRF_PLACEHOLDER not in second and "<!--live:" not in second


def test_a_token_from_a_cached_page_is_accepted(cast, in_cs_review):
    from conftest import PASSWORD

    c = Client(enforce_csrf_checks=True)
    page = c.get("/ops/login/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    assert c.post("/ops/login/", {"username": cast.cs.username, "password": PASSWORD,
                                  "csrfmiddlewaretoken": token}).status_code == 302
    url = f"/ops/applications/{in_cs_review.pk}/"
    c.get(url)
    cached = c.get(url).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', cached).group(1)
    assert c.post(f"{url}act/cs_pass/", {"csrfmiddlewaretoken": token, "comment": ""}).status_code == 302
    in_cs_review.refresh_from_db()
    assert in_cs_review.status == "lr_review"


def _rename_member(app, cast):
    member = app.member
    member.real_name = "改名客户"
    member.save()
    return "改名客户"


def _rename_product(app, cast):
    product = app.product
    product.name = "改名信用贷"
    product.save()
    return "改名信用贷"


def _rename_cm(app, cast):
    cast.cm.real_name = "改名经理"
    cast.cm.save()
    return "改名经理"


def _pass(app, cast):
    services.cs_pass(actor=cast.cs, application_id=app.pk, comment="资料齐全，转贷审")
    return "资料齐全，转贷审"


@pytest.mark.parametrize("change", [_pass, _rename_member, _rename_product, _rename_cm])
def test_a_change_shows_at_the_next_request(client, cast, login, in_cs_review, change):
    login(cast.cs)
    url = f"/ops/applications/{in_cs_review.pk}/"
    first = client.get(url).content.decode()  # drawn and stored
    shown = change(in_cs_review, cast)
    assert shown not in first and shown in client.get(url).content.decode()


def test_an_upload_shows_at_the_next_request(client, cast, login, draft):
    app = draft()
    login(cast.cm)
    url = f"/ops/applications/{app.pk}/"
    assert "补充银行流水" not in client.get(url).content.decode()
    services.document_add(actor=cast.cm, application_id=app.pk, name="补充银行流水", upload=png())
    assert "补充银行流水" in client.get(url).content.decode()


def test_a_name_changed_by_update_shows_too(client, cast, login, in_cs_review):
    """Services writing with QuerySet.update send no signal and move the generation themselves."""
    from apps.accounts.models import RealNameVerification
    from apps.accounts.services import verification_decide

    login(cast.cs)
    url = f"/ops/applications/{in_cs_review.pk}/"
    client.get(url)
    v = RealNameVerification.objects.create(organization=cast.cm.organization, user=cast.cm,
                                            subject=RealNameVerification.Subject.STAFF, real_name="实名经理",
                                            id_number="110101199003077777", id_photo="-")
    verification_decide(actor=cast.cs, verification_id=v.pk, approve=True)
    assert "实名经理" in client.get(url).content.decode()


def test_unread_messages_and_queue_badges_are_live_on_a_cached_page(client, cast, login, in_cs_review, draft):
    login(cast.cs)
    url = f"/ops/applications/{in_cs_review.pk}/"
    client.get(url)
    unread = int(re.search(r'unread-badge">(\d+)<', client.get(url).content.decode()).group(1))
    message_send(recipients=[cast.cs], title="新的待办")
    after = client.get(url).content.decode()
    assert re.search(r'unread-badge">(\d+)<', after).group(1) == str(unread + 1)
    services.application_submit(actor=cast.cm, application_id=draft().pk)  # a second application waits for 客服
    after = client.get(url).content.decode()
    badge = re.search(r'客服审核 <span class="badge text-bg-danger">(\d+)</span>', after)
    assert badge and badge.group(1) == "2"


def test_flash_messages_are_shown_once_and_never_stored(client, cast, login, in_cs_review):
    login(cast.cs)
    url = f"/ops/applications/{in_cs_review.pk}/"
    client.get(url)
    resp = client.post(f"{url}act/cs_pass/", follow=True)
    assert "操作成功" in resp.content.decode()
    assert "操作成功" not in client.get(url).content.decode()


def test_a_viewer_who_loses_the_scope_gets_404_not_the_cached_page(client, cast, login, in_cs_review):
    login(cast.tl)  # the team leader sees the team's applications
    url = f"/ops/applications/{in_cs_review.pk}/"
    assert client.get(url).status_code == 200 and client.get(url).status_code == 200
    role = Role.objects.get(organization__isnull=True, code="cm_leader")
    role.data_scope = DataScope.SELF
    role.save()
    assert client.get(url).status_code == 404


def test_a_cached_page_is_never_served_to_another_user(client, cast, login, in_cs_review):
    login(cast.cs)
    url = f"/ops/applications/{in_cs_review.pk}/"
    client.get(url)
    assert client.get(url).status_code == 200  # now from the cache
    other = login(cast.cm2, c=Client())
    assert other.get(url).status_code == 404
    wrong_role = login(cast.lr, c=Client())
    assert "客服审核通过" not in wrong_role.get(url).content.decode()


def test_without_redis_the_page_is_drawn(client, cast, login, in_cs_review, monkeypatch):
    login(cast.cs)
    url = f"/ops/applications/{in_cs_review.pk}/"
    client.get(url)

    def down(*args, **kwargs):
        raise ConnectionError("redis down")

    monkeypatch.setattr(cache, "get_many", down)  # the page cache's and the rights' reads
    page = client.get(url).content.decode()
    assert in_cs_review.order_no in page and pagecache.CSRF_PLACEHOLDER not in page


def test_a_dispatch_move_shows_at_the_next_request(client, cast, login, partners, ready_app, clock_reset,
                                                   books_balance):
    from apps.dispatch import services as dispatch
    from apps.dispatch.models import Candidate

    ps = partners(3)
    app = ready_app()
    d = dispatch.dispatch_start(application_id=app.pk)
    login(cast.lr)
    url = f"/ops/applications/{app.pk}/"
    assert "已受理机构</div>0 " in client.get(url).content.decode()
    cand = Candidate.objects.filter(dispatch=d).order_by("rank").first()
    user = next(p.user for p in ps if p.org.pk == cand.institution_id)
    dispatch.offer_accept(actor=user, candidate_id=cand.pk)  # the dispatch row's accepted count moves
    assert "已受理机构</div>1 " in client.get(url).content.decode()
    books_balance()
