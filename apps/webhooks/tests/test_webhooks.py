"""Webhooks with a real HTTP receiver on loopback that verifies every signature with the published snippet: the
events the workflows emit, retries with backoff on a real Celery worker (the ``webhooks`` queue), switching a
failing endpoint off with a message to the administrators, replay, HTTPS only, and the page."""
import json
import time
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from apps.cases import services as cases
from apps.cases.models import Case
from apps.common import clock
from apps.dispatch import services as dispatch
from apps.dispatch.models import Candidate
from apps.messaging.models import Message
from apps.webhooks import services
from apps.webhooks.models import Delivery, Endpoint, Event

from .receiver import Receiver, published_verifier

ALL = list(Event.values)


def test_the_published_snippet_is_the_one_on_the_page_and_checks_what_it_should():
    from pathlib import Path

    from django.conf import settings

    page = (Path(settings.BASE_DIR) / "templates" / "webhooks" / "_verify_snippet.txt").read_text()
    assert page in (Path(settings.BASE_DIR) / "docs" / "webhooks.md").read_text()
    verify = published_verifier()
    body = '{"id":"e","event":"offer.created"}'.encode()
    header = services.signature_header("whsec_x", int(time.time()), body)
    assert verify("whsec_x", header, body) and services.verify("whsec_x", header, body)
    assert not verify("whsec_y", header, body) and not verify("whsec_x", header, body + b" ")
    old = services.signature_header("whsec_x", int(time.time()) - 600, body)
    assert not verify("whsec_x", old, body)  # a replayed old request


def test_addresses_must_be_https_and_outside(settings):
    settings.WEBHOOK_INSECURE_HOSTS = []
    for bad in ("http://example.com/hook", "https://10.1.2.3/hook", "https://127.0.0.1/hook", "ftp://x/y", "hook"):
        with pytest.raises(ValidationError):
            services.url_check(bad)
    assert services.url_check(" https://example.com/hook ") == "https://example.com/hook"


def test_the_workflows_emit_each_event_once_in_their_transaction(cast, partners, ready_app, clock_reset):
    ps = partners(3)
    for p in ps:
        services.endpoint_create(actor=p.user, url="https://hooks.example.com/x", events=ALL)
    app, app2 = ready_app(), ready_app()
    dispatch.dispatch_start(application_id=app.pk)

    def events(p):
        return list(Delivery.objects.filter(endpoint__institution=p.org).order_by("pk").values_list("event", flat=True))

    assert all(events(p) == ["offer.created"] for p in ps)
    created = Delivery.objects.filter(endpoint__institution=ps[0].org).get()
    offer = Candidate.objects.get(application=app, institution=ps[0].org)
    assert created.payload["offer_id"] == offer.pk and "member" not in json.dumps(created.payload)
    # 派单即将超时: once per offer, however often the sweep runs
    clock.shift(timedelta(hours=23))
    services.sweep()
    services.sweep()
    assert all(events(p) == ["offer.created", "offer.expiring"] for p in ps)
    clock.reset()
    dispatch.offer_accept(actor=ps[0].user, candidate_id=offer.pk)
    dispatch.client_choose(actor=cast.cm, application_id=app.pk, candidate_id=offer.pk)
    assert events(ps[0])[2:] == ["client.chose", "case.changed"]
    assert [e for e in events(ps[1])[2:]] == ["offer.withdrawn"]  # its offer was still open
    case = Case.objects.get(candidate=offer)
    cases.case_allocate(actor=ps[0].user, case_id=case.pk, officer_id=ps[0].user.pk)
    last = Delivery.objects.filter(endpoint__institution=ps[0].org).latest("pk")
    assert (last.event, last.payload["status"], last.payload["from_status"]) == ("case.changed", "allocated", "new")
    # an offer left unanswered lapses
    dispatch.dispatch_start(application_id=app2.pk)
    clock.shift(timedelta(hours=25))
    dispatch.timers_sweep()
    assert "offer.lapsed" in events(ps[0])
    # an endpoint subscribed to other events, or switched off, gets nothing
    assert Delivery.objects.filter(endpoint__institution=cast.inst_b).count() == 0


def test_a_failing_endpoint_is_retried_then_switched_off_with_a_message_and_replay_works(
        cast, partners, settings, clock_reset):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 1
    settings.WEBHOOK_RETRY_WINDOW_SECONDS = 10
    settings.WEBHOOK_DISABLE_AFTER = 50
    (p,) = partners(1)
    with Receiver(fail_first=[500] * 5 + [502] * 3) as rx:
        endpoint = services.endpoint_create(actor=p.user, url=rx.url, events=["offer.created"])
        rx.secret = endpoint.secret
        services.emit(p.org, "offer.created", {"offer_id": 1, "order_no": "SY1"})
        d = Delivery.objects.get(endpoint=endpoint)
        seen = []
        for _ in range(8):
            status = services.deliver(d.pk)
            d.refresh_from_db()
            seen.append((status, d.next_attempt_at and round((d.next_attempt_at - clock.now()).total_seconds())))
            if status == "failed":
                break
            assert services.deliver(d.pk) == ""  # not due yet: nothing is sent twice
            clock.shift(d.next_attempt_at - clock.now())
        # backoff 1, 2, 4 s, then the last try at the end of the 10 s window, then failed
        assert seen == [("retrying", 1), ("retrying", 2), ("retrying", 4), ("retrying", 3), ("failed", None)]
        assert len(rx.requests) == 5 and all(r["valid"] for r in rx.requests)
        assert len({r["headers"]["X-Shuyin-Event-Id"] for r in rx.requests}) == 1
        assert [a.status_code for a in d.attempt_log.all()] == [500] * 5
        assert d.attempt_log.first().response_body == "收到 500"
        endpoint.refresh_from_db()
        assert not endpoint.is_active and "5 次" in endpoint.disabled_reason
        note = Message.objects.get(recipient=p.user, title__contains="Webhook 端点已停用")
        assert rx.url in note.title
        with pytest.raises(ValidationError):
            services.delivery_replay(actor=p.user, delivery_id=d.pk)
        services.endpoint_update(actor=p.user, endpoint_id=endpoint.pk, url=rx.url, events=["offer.created"],
                                 description="", is_active=True)
        copy = services.delivery_replay(actor=p.user, delivery_id=d.pk)
        assert services.deliver(copy.pk) == "retrying"  # 502
        # a streak of failures across deliveries switches it off too
        settings.WEBHOOK_DISABLE_AFTER = 3
        services.emit(p.org, "offer.created", {"offer_id": 2})
        other = Delivery.objects.filter(endpoint=endpoint).latest("pk")
        assert services.deliver(other.pk) == "retrying" and services.deliver(copy.pk) == ""
        clock.shift(timedelta(seconds=2))
        assert services.deliver(copy.pk) == "retrying"  # the third failure in a row
        endpoint.refresh_from_db()
        assert not endpoint.is_active and Message.objects.filter(recipient=p.user).count() == 2
        services.endpoint_update(actor=p.user, endpoint_id=endpoint.pk, url=rx.url, events=["offer.created"],
                                 description="", is_active=True)
        clock.shift(timedelta(seconds=5))
        assert services.deliver(copy.pk) == "succeeded"
        assert rx.requests[-1]["headers"]["X-Shuyin-Event-Id"] == str(d.event_id)  # the same event, replayed
        endpoint.refresh_from_db()
        assert endpoint.failure_streak == 0


@pytest.mark.django_db(transaction=True)
def test_deliveries_go_out_from_their_own_queue_on_a_real_worker_with_backoff(cast, partners, ready_app,
                                                                              celery_stack, settings):
    from conftest import wait_for

    (p,) = partners(1)
    with Receiver(fail_first=[500, 503]) as rx:
        endpoint = services.endpoint_create(actor=p.user, url=rx.url, events=["offer.created"])
        rx.secret = endpoint.secret
        celery_stack.env["WEBHOOK_RETRY_BASE_SECONDS"] = "1"
        env = celery_stack(beat=False)  # no -Q: the worker consumes every queue the settings declare
        settings.CELERY_WEBHOOKS_QUEUE = f"{env['CELERY_QUEUE']}.webhooks"
        app = ready_app()
        dispatch.dispatch_start(application_id=app.pk)  # offer.created, queued once the dispatch commits
        d = Delivery.objects.get(endpoint=endpoint)
        assert wait_for(lambda: Delivery.objects.filter(pk=d.pk, status="succeeded").exists(), timeout=90), (
            (celery_stack.logs / "worker.log").read_text()[-3000:])
    d.refresh_from_db()
    attempts = list(d.attempt_log.all())
    assert [a.status_code for a in attempts] == [500, 503, 200] and d.attempts == 3
    assert all(r["valid"] for r in rx.requests) and len(rx.requests) == 3
    assert (attempts[1].at - attempts[0].at).total_seconds() >= 1
    assert (attempts[2].at - attempts[1].at).total_seconds() >= 2
    body = json.loads(rx.requests[-1]["body"])
    offer = Candidate.objects.get(application=app)
    assert (body["event"], body["data"]["offer_id"], body["id"]) == ("offer.created", offer.pk, str(d.event_id))


def test_the_page_adds_endpoints_shows_the_log_and_replays(cast, partners, client, login):
    (p,) = partners(1)
    login(p.user)
    page = client.get("/inst/webhooks/")
    assert page.status_code == 200 and "Webhook 管理" in page.content.decode()
    resp = client.post("/inst/webhooks/", {"url": "http://example.com/x", "events": ["offer.created"]})
    assert "HTTPS" in resp.content.decode() and not Endpoint.objects.exists()
    resp = client.post("/inst/webhooks/", {"url": "https://example.com/x", "events": ["offer.created", "case.changed"]})
    assert resp.status_code == 302
    endpoint = Endpoint.objects.get(institution=p.org)
    services.emit(p.org, "offer.created", {"offer_id": 9})
    d = Delivery.objects.get()
    html = client.get("/inst/webhooks/").content.decode()
    assert endpoint.secret in html and "verify_shuyin_signature" in html and "新派单" in html
    assert client.post(f"/inst/webhooks/deliveries/{d.pk}/replay/").status_code == 302
    assert Delivery.objects.filter(replay_of=d, event_id=d.event_id).count() == 1
    client.post(f"/inst/webhooks/{endpoint.pk}/delete/")
    assert not Endpoint.objects.exists()
    login(cast.a_viewer)
    assert client.get("/inst/webhooks/").status_code == 403
    assert client.get("/inst/api-keys/").status_code == 403


def test_the_api_key_page_shows_the_secret_once(cast, partners, client, login):
    from apps.api.models import ApiKey

    (p,) = partners(1)
    login(p.user)
    resp = client.post("/inst/api-keys/", {"name": "信贷系统", "rate_per_minute": "１２０",
                                           "permissions": ["dispatch.view_case", "dispatch.answer_case"]})
    html = resp.content.decode()
    key = ApiKey.objects.get(institution=p.org)
    secret = html.split('data-testid="secret">')[1].split("<")[0]
    assert secret.startswith(key.prefix) and key.rate_per_minute == 120 and secret not in key.key_hash
    assert secret not in client.get("/inst/api-keys/").content.decode()  # shown once
    assert Client_ok(secret)
    client.post(f"/inst/api-keys/{key.pk}/revoke/")
    key.refresh_from_db()
    assert key.revoked_at is not None and not Client_ok(secret)


def Client_ok(secret) -> bool:
    from django.test import Client

    return Client().get("/api/v1/offers", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 200
