"""The notification service: after a 站内信 is written (``apps.messaging.services.message_send``, the record),
the same message goes out on the channels its recipients chose — email, SMS — and to the group robots their
organisation connected. Nothing is sent inside a web request: ``notify_on_commit`` queues one fan-out task
after the transaction commits; the fan-out writes a ``Delivery`` per channel and recipient and queues one
send task each (retried with exponential backoff, rate-limited per recipient)."""
import hashlib
import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from apps.common.params import params_get_many

from . import channels
from .events import (
    BY_CODE,
    DINGTALK,
    EMAIL,
    EVENTS,
    PERSONAL_CHANNELS,
    SMS,
    WECOM,
    classify,
)
from .models import Delivery, Preference, Robot, RoleDefault, mask_address

log = logging.getLogger(__name__)
D = Delivery.Status


# ---- from the 站内信 to the other channels ----
def notify_on_commit(*, message_ids: list[int], event: str = "") -> None:
    """Queue the fan-out of these just-written messages once the transaction commits (never when it rolls
    back). A broker that is down costs the extra channels, never the change itself or its 站内信."""
    if not settings.NOTIFY_FANOUT or not message_ids:
        return

    def enqueue():
        from .tasks import fanout_task

        try:
            fanout_task.delay(list(message_ids), event)
        except Exception:  # the 站内信 are written; email/SMS are best effort
            log.exception("notifications: could not queue the fan-out of %d messages", len(message_ids))

    transaction.on_commit(enqueue)


def choices_for(*, user_ids, event: str) -> dict[int, set[str]]:
    """The personal channels each user receives this kind on (see ``channel_matrix``)."""
    matrix = channel_matrix(user_ids=user_ids, events=[event])
    return {uid: matrix[(uid, event)] for uid in user_ids}


def channel_matrix(*, user_ids, events: list[str]) -> dict[tuple[int, str], set[str]]:
    """(user, kind) → the personal channels: the user's own choice, else their roles' defaults (on when any
    role's default is on), else the kind's own default. Three queries for any number of users and kinds."""
    from apps.accounts.models import User

    own = {(u, e, c): on for u, e, c, on in Preference.objects.filter(user_id__in=user_ids, event__in=events)
           .values_list("user_id", "event", "channel", "enabled")}
    roles: dict[int, set[str]] = {}
    for uid, code in User.roles.through.objects.filter(user_id__in=user_ids, role__is_active=True).values_list(
            "user_id", "role__code"):
        roles.setdefault(uid, set()).add(code)
    codes = set().union(*roles.values()) if roles else set()
    defaults = {(r, e, c): on for r, e, c, on in RoleDefault.objects.filter(
        event__in=events, role_code__in=codes).values_list("role_code", "event", "channel", "enabled")} if codes else {}
    out = {}
    for event in events:
        kind = BY_CODE.get(event)
        base = set(kind.defaults) if kind else set()
        for uid in user_ids:
            chosen = set()
            for channel, _label in PERSONAL_CHANNELS:
                if (uid, event, channel) in own:
                    on = own[(uid, event, channel)]
                else:
                    said = [defaults[(r, event, channel)] for r in roles.get(uid, ()) if (r, event, channel) in defaults]
                    on = any(said) if said else channel in base
                if on:
                    chosen.add(channel)
            out[(uid, event)] = chosen
    return out


def address_of(user, channel: str) -> str:
    if channel == EMAIL:
        if user.email:
            return user.email
        domain = settings.NOTIFY_DEMO_EMAIL_DOMAIN  # a declared demo only: demo people have no mailbox of their own
        return f"{user.username}@{domain}" if domain else ""
    if channel == SMS:
        return user.mobile or ""
    return ""


def robots_for(*, org_paths: set[str], event: str) -> list[Robot]:
    """The active robots of these organisations or of any organisation above them that push this kind."""
    ids = {int(p) for path in org_paths for p in path.strip("/").split("/") if p.isdigit()}
    if not ids:
        return []
    return list(Robot.objects.filter(organization_id__in=ids, is_active=True, events__contains=[event])
                .order_by("pk"))


def fanout(*, message_ids: list[int], event: str = "") -> list[int]:
    """Write the deliveries of these messages (one call of message_send: one title, one kind) and queue them."""
    from apps.messaging.models import Message

    msgs = list(Message.objects.filter(pk__in=message_ids).select_related("recipient__organization")
                .order_by("pk"))
    msgs = [m for m in msgs if m.recipient.is_active]
    if not msgs:
        return []
    first = msgs[0]
    event = event if event in BY_CODE else classify(category=first.category, link=first.link)
    wanted = choices_for(user_ids=[m.recipient_id for m in msgs], event=event)
    rows = []
    for m in msgs:
        for channel in sorted(wanted.get(m.recipient_id, ())):
            address = address_of(m.recipient, channel)
            if address:
                rows.append(Delivery(event=event, channel=channel, message=m, user=m.recipient,
                                     recipient=mask_address(channel, address), subject=m.title, body=m.body,
                                     link=m.link))
    if BY_CODE[event].robot:
        paths = {m.recipient.organization.path for m in msgs if m.recipient.organization_id}
        for robot in robots_for(org_paths=paths, event=event):
            rows.append(Delivery(event=event, channel=robot.kind, robot=robot, recipient=robot.masked_url,
                                 subject=first.title, body=first.body, link=first.link))
    with transaction.atomic():
        Delivery.objects.bulk_create(rows)
        ids = [d.pk for d in rows]
        transaction.on_commit(lambda: _queue(ids))
    return ids


def _queue(ids: list[int]) -> None:
    from .tasks import deliver_task

    for pk in ids:
        deliver_task.delay(pk)


# ---- one delivery ----
def absolute(link: str) -> str:
    return f"{settings.NOTIFY_SITE_URL.rstrip('/')}{link}" if link.startswith("/") else link


def render_text(d: Delivery) -> str:
    parts = [d.subject]
    if d.body:
        parts.append(d.body)
    if d.link:
        parts.append(f"查看：{absolute(d.link)}")
    return "\n\n".join(parts)


def render_robot(d: Delivery) -> str:
    text = f"**【数银在线】{d.subject}**"
    if d.body:
        text += f"\n\n{d.body}"
    if d.link:
        text += f"\n\n[查看详情]({absolute(d.link)})"
    return text


def _rate_ok(channel: str, address: str) -> bool:
    """A fixed-window counter in Redis per channel and recipient (shared by every worker)."""
    values = params_get_many(["notifications.rate.email_per_hour", "notifications.rate.sms_per_hour",
                              "notifications.rate.robot_per_minute"])
    limit, window = {EMAIL: (values["notifications.rate.email_per_hour"], 3600),
                     SMS: (values["notifications.rate.sms_per_hour"], 3600)}.get(
        channel, (values["notifications.rate.robot_per_minute"], 60))
    digest = hashlib.sha256(address.encode()).hexdigest()[:20]
    key = f"notify:rate:{channel}:{digest}:{int(time.time() // window)}"
    cache.add(key, 0, window + 60)
    try:
        return cache.incr(key) <= limit
    except ValueError:  # expired between add and incr
        cache.add(key, 1, window + 60)
        return True


def _finish(d: Delivery, status: str, response: str, **extra) -> None:
    Delivery.objects.filter(pk=d.pk).update(status=status, response=response[:2000], **extra)


def delivery_attempt(*, delivery_id: int) -> str:
    """Send one delivery once.

    1. Claim it by compare-and-set (queued/retrying → sending, attempts + 1): a task that runs twice sends once.
    2. On the first attempt, check the recipient's rate limit (over it: 超频未发送, the 站内信 stands).
    3. Send through the channel; a channel that is not configured only logs the rendered text.
    4. Record the answer: 已发送, 发送失败 (permanent), or 等待重试 (``channels.Transient`` is raised again
       for the task to retry with backoff)."""
    claimed = Delivery.objects.filter(pk=delivery_id, status__in=[D.QUEUED, D.RETRYING]).update(
        status=D.SENDING, attempts=F("attempts") + 1)
    if not claimed:
        return "skipped"
    d = Delivery.objects.select_related("user", "robot").get(pk=delivery_id)
    if d.channel in (EMAIL, SMS):
        address = address_of(d.user, d.channel) if d.user and d.user.is_active else ""
        if not address:
            _finish(d, D.FAILED, "接收人已停用或没有可用的地址")
            return D.FAILED
    else:
        if d.robot is None or not d.robot.is_active:
            _finish(d, D.FAILED, "群机器人已删除或停用")
            return D.FAILED
        address = d.robot.webhook_url
    if d.attempts == 1 and not _rate_ok(d.channel, address):
        _finish(d, D.LIMITED, "超过该接收人的发送频率上限，未发送（站内信已送达）")
        return D.LIMITED
    try:
        if d.channel == EMAIL:
            if not channels.email_configured():
                _finish(d, D.LOGGED, "未配置邮件通道，仅记录")
                return D.LOGGED
            answer = channels.send_email(to=address, subject=f"【数银在线】{d.subject}", body=render_text(d))
        elif d.channel == SMS:
            template = channels.sms_template(d.event)
            if not template:
                _finish(d, D.LOGGED, f"未配置短信通道，仅记录。短信内容：【数银在线】{d.subject}")
                return D.LOGGED
            answer = channels.send_sms(mobile=address, template_code=template,
                                       params=channels.sms_params(subject=d.subject))
        else:
            answer = channels.send_robot(kind=d.channel, url=address, secret=d.robot.secret, title=d.subject,
                                         text=render_robot(d))
    except channels.Transient as exc:
        _finish(d, D.RETRYING, f"第 {d.attempts} 次发送失败，稍后重试：{exc}")
        raise
    except channels.Permanent as exc:
        _finish(d, D.FAILED, str(exc))
        return D.FAILED
    _finish(d, D.SENT, answer, sent_at=timezone.now())
    return D.SENT


def delivery_give_up(*, delivery_id: int, reason: str) -> None:
    Delivery.objects.filter(pk=delivery_id, status=D.RETRYING).update(
        status=D.FAILED, response=f"多次重试仍失败，已放弃：{reason}"[:2000])


def backoff_seconds(retries: int) -> int:
    """Exponential backoff with a little jitter: base, 2×base, 4×base … (capped at 6 hours)."""
    import random

    base = settings.NOTIFY_RETRY_BASE_SECONDS
    return min(base * 2 ** retries, 6 * 3600) + random.randint(0, max(base // 2, 0))


# ---- preferences and role defaults ----
def preference_table(*, user) -> list[dict]:
    """Every kind with the channels this user receives it on now (own choice, role default or the kind's)."""
    matrix = channel_matrix(user_ids=[user.pk], events=[k.code for k in EVENTS])
    return [{"kind": k, "channels": [(c, label, c in matrix[(user.pk, k.code)]) for c, label in PERSONAL_CHANNELS]}
            for k in EVENTS]


@transaction.atomic
def preferences_save(*, user, selected: set[tuple[str, str]]) -> int:
    """Store the user's choice for every kind and channel (the page shows them all, so all are stated)."""
    Preference.objects.filter(user=user).delete()
    Preference.objects.bulk_create([Preference(user=user, event=k.code, channel=c, enabled=(k.code, c) in selected)
                                    for k in EVENTS for c, _label in PERSONAL_CHANNELS])
    return len(selected)


@transaction.atomic
def role_defaults_save(*, role_code: str, selected: set[tuple[str, str]]) -> None:
    RoleDefault.objects.filter(role_code=role_code).delete()
    RoleDefault.objects.bulk_create([RoleDefault(role_code=role_code, event=k.code, channel=c,
                                                 enabled=(k.code, c) in selected)
                                     for k in EVENTS for c, _label in PERSONAL_CHANNELS])


def role_default_table(*, role_code: str) -> list[dict]:
    stored = {(e, c): on for e, c, on in RoleDefault.objects.filter(role_code=role_code).values_list(
        "event", "channel", "enabled")}
    return [{"kind": k, "channels": [(c, label, stored.get((k.code, c), c in k.defaults))
                                     for c, label in PERSONAL_CHANNELS]} for k in EVENTS]


# ---- group robots ----
def _robot_clean(*, kind: str, url: str, secret: str, events: list[str]) -> None:
    if kind not in (WECOM, DINGTALK):
        raise ValidationError("请选择机器人类型。")
    if not channels.robot_host_allowed(url):
        raise ValidationError("Webhook 地址应为企业微信（qyapi.weixin.qq.com）或钉钉（oapi.dingtalk.com）群机器人的 "
                              "https 地址，请从群设置的“群机器人”中复制。")
    if kind == DINGTALK and secret and not secret.startswith("SEC"):
        raise ValidationError("钉钉加签密钥以 SEC 开头，请从机器人安全设置中复制完整的密钥。")
    if not events:
        raise ValidationError("请至少选择一类推送的事件。")


def robot_save(*, actor, organization, kind: str, name: str, webhook_url: str, secret: str = "",
               events: list[str], is_active: bool = True, robot: Robot | None = None) -> Robot:
    webhook_url, secret = webhook_url.strip(), secret.strip()
    _robot_clean(kind=kind, url=webhook_url, secret=secret, events=events)
    robot = robot or Robot(organization=organization, created_by=actor)
    robot.kind, robot.name, robot.webhook_url, robot.events, robot.is_active = kind, name, webhook_url, events, \
        is_active
    if secret or kind != DINGTALK:
        robot.secret = secret if kind == DINGTALK else ""
    robot.save()
    return robot


def robot_test(*, robot: Robot, actor) -> Delivery:
    """Queue a test message to the group (the same path as every delivery)."""
    d = Delivery.objects.create(event="system", channel=robot.kind, robot=robot, recipient=robot.masked_url,
                                subject="测试消息：群机器人已连接", body=f"由 {actor.display_name} 在数银在线发送的测试消息。")
    transaction.on_commit(lambda: _queue([d.pk]))
    return d
