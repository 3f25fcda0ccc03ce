"""Webhooks: events of an institution's offers, cases and settlements pushed to the HTTPS endpoints it registered.

The workflows call ``emit(institution, event, payload)`` where the change happens. The delivery rows are written in
that same transaction (an outbox: an event exists exactly when its change committed) and queued to the ``webhooks``
Celery queue once it commits. Each attempt is signed (``signature``), logged with the response, and a failure is
retried with exponential backoff until ``WEBHOOK_RETRY_WINDOW`` (24 hours) after the event; a delivery that ran out
of time, or an endpoint failing ``WEBHOOK_DISABLE_AFTER`` attempts in a row, switches the endpoint off and tells the
institution's administrators by 站内信. ``sweep`` (beat) requeues deliveries whose task was lost and sends
``offer.expiring`` once per offer.

This app sits below the workflows (like messaging): it imports none of them; payloads are built from the objects
the callers pass."""
import hashlib
import hmac
import ipaddress
import json
import logging
import secrets
import socket
import time
import uuid
from datetime import timedelta
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _

from apps.accounts.models import Organization, User
from apps.common import clock
from apps.messaging.services import message_send

from .models import Attempt, Delivery, Emitted, Endpoint, Event

log = logging.getLogger(__name__)
D = Delivery.Status
SIGNATURE_HEADER = "X-Shuyin-Signature"
USER_AGENT = "Shuyin-Webhooks/1.0"


# ---- emitting (called by the workflows) ----

def _institution_id(institution) -> int:
    if isinstance(institution, Organization):
        return institution.root_id
    return int(institution)


def emit(institution, event: str, payload: dict) -> int:
    """Record ``event`` for every active endpoint of ``institution`` (an Organization or its root id) subscribed to
    it, in the caller's transaction, and queue the deliveries once it commits. Returns how many. One query when
    nobody listens."""
    if event not in Event.values:
        raise ValueError(f"unknown webhook event {event}")
    endpoints = list(Endpoint.objects.filter(institution_id=_institution_id(institution), is_active=True,
                                             events__contains=[event]).values_list("pk", flat=True))
    if not endpoints:
        return 0
    now = clock.now()
    event_id = uuid.uuid4()
    data = json.loads(json.dumps(payload, cls=DjangoJSONEncoder, ensure_ascii=False))
    rows = Delivery.objects.bulk_create([Delivery(endpoint_id=pk, event=event, event_id=event_id, payload=data,
                                                  created_at=now, next_attempt_at=now) for pk in endpoints])
    ids = [d.pk for d in rows]
    transaction.on_commit(lambda: _queue(ids))
    return len(ids)


def _queue(ids, countdown: float = 0) -> None:
    from .tasks import deliver

    for pk in ids:
        try:
            deliver.apply_async((pk,), countdown=countdown, queue=settings.CELERY_WEBHOOKS_QUEUE)
        except Exception:  # noqa: BLE001 — broker down: the sweep sends it (the row is due)
            log.warning("webhook delivery %s not queued", pk, exc_info=True)


def offer_payload(cand, app=None) -> dict:
    """What an event about an offer says (no client data: the institution reads the offer through the API)."""
    app = app or cand.application
    return {"offer_id": cand.pk, "order_no": app.order_no, "product": app.product.name, "amount": str(app.amount),
            "term_months": app.term_months, "offered_at": cand.offered_at, "deadline": cand.deadline}


# ---- signing ----

def signature(secret: str, timestamp: int, body: bytes) -> str:
    """HMAC-SHA256 of ``"{timestamp}.{body}"`` with the endpoint's secret, hex."""
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"


def verify(secret: str, header: str, body: bytes, *, tolerance: int = 300, now: float | None = None) -> bool:
    """The receiver's check (the same as the snippet in docs/webhooks.md): a v1 signature matches and the timestamp
    is within ``tolerance`` seconds."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        ts = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((now or time.time()) - ts) > tolerance:
        return False
    return hmac.compare_digest(signature(secret, ts, body), parts.get("v1", ""))


def body_of(delivery: Delivery) -> bytes:
    return json.dumps({"id": str(delivery.event_id), "event": delivery.event,
                       "created_at": delivery.created_at.isoformat(), "data": delivery.payload},
                      ensure_ascii=False, separators=(",", ":")).encode()


# ---- the endpoint's address ----

def _insecure_allowed(host: str) -> bool:
    return host in settings.WEBHOOK_INSECURE_HOSTS


def url_check(url: str) -> str:
    """HTTPS only (a host named in WEBHOOK_INSECURE_HOSTS, for tests and a local demo, may use http); no address
    inside 数银's own network (loopback, private, link-local) unless so named."""
    url = (url or "").strip()
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if not host:
        raise ValidationError(_("请填写完整的推送地址，如 https://example.com/shuyin/webhook。"))
    if parts.scheme != "https" and not (parts.scheme == "http" and _insecure_allowed(host)):
        raise ValidationError(_("推送地址必须使用 HTTPS（以 https:// 开头）。"))
    if not _insecure_allowed(host):
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            ip = None
        if ip is not None and (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved):
            raise ValidationError(_("推送地址不能是内网或本机地址，请填写贵机构可从互联网访问的地址。"))
    return url


def _resolves_inside(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    if _insecure_allowed(host):
        return False
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False  # the request itself will fail and be retried
    for info in infos:
        ip = ipaddress.ip_address(info[4][0])
        if ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved:
            return True
    return False


# ---- the institution's page (Webhook 管理) ----

def _institution_of(actor) -> Organization:
    org = actor.organization
    if org is None or not org.is_institution or not actor.has_perm("webhooks.manage_webhook"):
        raise PermissionDenied("webhooks.manage_webhook")
    return Organization.objects.get(pk=org.root_id)


def endpoints_for_user(*, user):
    org = user.organization
    if org is None or not org.is_institution:
        return Endpoint.objects.none()
    return Endpoint.objects.filter(institution_id=org.root_id)


def endpoint_get_for_user(*, user, pk: int) -> Endpoint:
    endpoint = endpoints_for_user(user=user).filter(pk=pk).first()
    if endpoint is None:
        raise Http404
    return endpoint


def _events_checked(events) -> list[str]:
    events = sorted(set(events))
    if not events or not set(events) <= set(Event.values):
        raise ValidationError(_("请至少选择一个要推送的事件。"))
    return events


@transaction.atomic
def endpoint_create(*, actor, url: str, events, description: str = "") -> Endpoint:
    institution = _institution_of(actor)
    return Endpoint.objects.create(institution=institution, url=url_check(url), events=_events_checked(events),
                                   description=description.strip()[:100], secret="whsec_" + secrets.token_hex(24),
                                   created_by=actor)


@transaction.atomic
def endpoint_update(*, actor, endpoint_id: int, url: str, events, description: str, is_active: bool) -> Endpoint:
    _institution_of(actor)
    endpoint = endpoints_for_user(user=actor).select_for_update().filter(pk=endpoint_id).first()
    if endpoint is None:
        raise Http404
    endpoint.url, endpoint.events = url_check(url), _events_checked(events)
    endpoint.description = description.strip()[:100]
    if is_active and not endpoint.is_active:  # switched on again: a fresh start
        endpoint.failure_streak, endpoint.disabled_reason = 0, ""
    endpoint.is_active = is_active
    endpoint.save()
    return endpoint


@transaction.atomic
def endpoint_delete(*, actor, endpoint_id: int) -> None:
    _institution_of(actor)
    endpoint = endpoints_for_user(user=actor).filter(pk=endpoint_id).first()
    if endpoint is None:
        raise Http404
    endpoint.delete()


@transaction.atomic
def delivery_replay(*, actor, delivery_id: int) -> Delivery:
    """Send a logged delivery again (same event id and body: the receiver can tell it is the same event), as a
    new delivery with its own attempts."""
    _institution_of(actor)
    original = Delivery.objects.filter(pk=delivery_id, endpoint__in=endpoints_for_user(user=actor)).select_related(
        "endpoint").first()
    if original is None:
        raise Http404
    if not original.endpoint.is_active:
        raise ValidationError(_("该端点已停用，请先启用后再重新推送。"))
    now = clock.now()
    copy = Delivery.objects.create(endpoint=original.endpoint, event=original.event, event_id=original.event_id,
                                   payload=original.payload, created_at=now, next_attempt_at=now, replay_of=original)
    transaction.on_commit(lambda: _queue([copy.pk]))
    return copy


# ---- delivering (the webhooks queue) ----

def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=settings.WEBHOOK_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0))


def deliver(delivery_id: int) -> str:
    """One attempt of a due delivery. Returns the status it is left in (or "" when it was not due).

    1. claim it: a compare-and-set from pending/retrying (due) to sending, attempts + 1 — a second task for the
       same delivery (a replayed message, the sweep) finds nothing to claim;
    2. POST the signed body outside any transaction (timeout ``WEBHOOK_TIMEOUT_SECONDS``);
    3. log the attempt; 2xx → succeeded; else retrying at now + base × 2^(attempts−1), the last try at the end of
       the window, then failed; the endpoint's streak of failures decides whether it is switched off."""
    now = clock.now()
    claimed = Delivery.objects.filter(pk=delivery_id, status__in=[D.PENDING, D.RETRYING],
                                      next_attempt_at__lte=now).update(status=D.SENDING, attempts=F("attempts") + 1,
                                                                       last_attempt_at=now)
    if not claimed:
        return ""
    delivery = Delivery.objects.select_related("endpoint").get(pk=delivery_id)
    endpoint = delivery.endpoint
    if not endpoint.is_active:
        Delivery.objects.filter(pk=delivery_id).update(status=D.FAILED, next_attempt_at=None)
        Attempt.objects.create(delivery=delivery, at=now, error="端点已停用，未发送")
        return D.FAILED
    body = body_of(delivery)
    ts = int(time.time())
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT,
               SIGNATURE_HEADER: signature_header(endpoint.secret, ts, body), "X-Shuyin-Event": delivery.event,
               "X-Shuyin-Event-Id": str(delivery.event_id), "X-Shuyin-Delivery": str(delivery.pk)}
    code, text, error = None, "", ""
    started = time.monotonic()
    try:
        url = url_check(endpoint.url)
        if _resolves_inside(url):
            raise ValidationError("推送地址解析到内网地址，已拒绝发送")
        resp = requests.post(url, data=body, headers=headers, timeout=settings.WEBHOOK_TIMEOUT_SECONDS,
                             allow_redirects=False)
        code, text = resp.status_code, resp.text[:2000]
    except ValidationError as exc:
        error = exc.messages[0]
    except requests.RequestException as exc:
        error = f"{type(exc).__name__}: {exc}"[:300]
    duration = int((time.monotonic() - started) * 1000)
    ok = code is not None and 200 <= code < 300
    return _record(delivery, endpoint, code=code, text=text, error=error, duration=duration, ok=ok)


@transaction.atomic
def _record(delivery: Delivery, endpoint: Endpoint, *, code, text, error, duration, ok) -> str:
    now = clock.now()
    Attempt.objects.create(delivery=delivery, at=now, status_code=code, response_body=text, error=error,
                           duration_ms=duration)
    endpoint = Endpoint.objects.select_for_update().get(pk=endpoint.pk)
    if ok:
        Delivery.objects.filter(pk=delivery.pk).update(status=D.SUCCEEDED, response_status=code, next_attempt_at=None)
        if endpoint.failure_streak:
            Endpoint.objects.filter(pk=endpoint.pk).update(failure_streak=0)
        return D.SUCCEEDED
    window_end = delivery.created_at + timedelta(seconds=settings.WEBHOOK_RETRY_WINDOW_SECONDS)
    next_at = now + _backoff(delivery.attempts)
    if next_at > window_end and now < window_end - timedelta(seconds=1):
        next_at = window_end  # the last try at the end of the window
    status = D.RETRYING if next_at <= window_end else D.FAILED
    Delivery.objects.filter(pk=delivery.pk).update(status=status, response_status=code,
                                                   next_attempt_at=next_at if status == D.RETRYING else None)
    streak = endpoint.failure_streak + 1
    Endpoint.objects.filter(pk=endpoint.pk).update(failure_streak=streak)
    if endpoint.is_active and (status == D.FAILED or streak >= settings.WEBHOOK_DISABLE_AFTER):
        _switch_off(endpoint, streak)
    elif status == D.RETRYING:
        countdown = max((next_at - now).total_seconds(), 0)
        transaction.on_commit(lambda: _queue([delivery.pk], countdown=countdown))
    return status


def _switch_off(endpoint: Endpoint, streak: int) -> None:
    reason = f"连续 {streak} 次推送失败，系统已自动停用"
    Endpoint.objects.filter(pk=endpoint.pk).update(is_active=False, disabled_reason=reason)
    admins = (User.objects.filter(is_active=True, organization__path__startswith=f"/{endpoint.institution_id}/",
                                  roles__is_active=True, roles__permissions__codename="manage_webhook",
                                  roles__permissions__content_type__app_label="webhooks")
              .values_list("pk", flat=True).distinct())
    message_send(recipients=admins, category="system", link=reverse("inst:webhook_list"),
                 title=f"Webhook 端点已停用：{endpoint.url}",
                 body=f"{reason}。请检查贵机构的接收服务，修复后在“Webhook 管理”页面重新启用，并可重新推送失败的记录。")


# ---- the beat sweep ----

def sweep(*, now=None, batch: int = 500) -> dict:
    """Requeue deliveries whose task was lost (due for a while, or stuck sending after a worker died) and emit
    ``offer.expiring`` once per offer. Idempotent: the delivery's compare-and-set and ``Emitted``'s unique key
    make a second run change nothing."""
    now = now or clock.now()
    grace = timedelta(seconds=settings.WEBHOOK_SWEEP_GRACE_SECONDS)
    stuck = Delivery.objects.filter(status=D.SENDING, last_attempt_at__lt=now - timedelta(minutes=5))
    revived = stuck.update(status=D.RETRYING, next_attempt_at=now)
    due = list(Delivery.objects.filter(status__in=[D.PENDING, D.RETRYING], next_attempt_at__lte=now - grace)
               .order_by("next_attempt_at").values_list("pk", flat=True)[:batch])
    _queue(due)
    return {"requeued": len(due), "revived": revived, "expiring": offers_expiring(now=now)}


def offers_expiring(*, now) -> int:
    """``offer.expiring`` for every offer still open whose deadline is within ``webhooks.expiring_minutes``. The
    offers are read through the dispatch model by name (this app imports no workflow)."""
    from django.apps import apps as django_apps

    from apps.common.params import param_get

    Candidate = django_apps.get_model("dispatch", "Candidate")
    minutes = int(param_get("webhooks.expiring_minutes"))
    listening = Endpoint.objects.filter(is_active=True, events__contains=[Event.OFFER_EXPIRING]).values(
        "institution_id")
    offers = (Candidate.objects.filter(status="offered", deadline__gt=now,
                                       deadline__lte=now + timedelta(minutes=minutes),
                                       institution_id__in=listening)
              .select_related("application__product").order_by("deadline")[:500])
    sent = 0
    for cand in offers:
        with transaction.atomic():
            try:
                with transaction.atomic():
                    Emitted.objects.create(key=f"offer.expiring:{cand.pk}")
            except IntegrityError:
                continue
            sent += emit(cand.institution_id, Event.OFFER_EXPIRING, offer_payload(cand))
    return sent


def deliveries_for_endpoint(endpoint: Endpoint):
    return endpoint.deliveries.order_by("-id")


def endpoints_with_recent(*, user, per_endpoint: int = 20) -> list[Endpoint]:
    """The institution's endpoints, each with its latest deliveries and their attempts (three queries)."""
    from django.db.models import Prefetch

    endpoints = list(endpoints_for_user(user=user).order_by("-id"))
    recent = (Delivery.objects.filter(endpoint__in=[e.pk for e in endpoints])
              .filter(Q(created_at__gte=clock.now() - timedelta(days=7)) | Q(status__in=[D.RETRYING, D.FAILED]))
              .prefetch_related(Prefetch("attempt_log", queryset=Attempt.objects.order_by("-id")))
              .order_by("-id")[:per_endpoint * max(len(endpoints), 1)])
    by_endpoint: dict[int, list] = {}
    for d in recent:
        by_endpoint.setdefault(d.endpoint_id, []).append(d)
    for e in endpoints:
        e.recent = by_endpoint.get(e.pk, [])[:per_endpoint]
    return endpoints
