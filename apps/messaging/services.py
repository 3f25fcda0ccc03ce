from django.db import transaction
from django.utils import timezone

from apps.common import pagecache

from .models import Message
from .selectors import unread_generation


def message_send(*, recipients, title: str, body: str = "", link: str = "", sender=None,
                 category: str = Message.Category.SYSTEM, event: str = "") -> int:
    """Send one in-site message to each recipient (users or user ids). Returns the count.

    Call inside the transaction that made the change: the messages commit or roll back with it. The 站内信 is
    the record; after the commit the notification service sends it on the channels each recipient chose
    (``event``: its kind, one of apps/notifications/events.py; derived from category and link when empty)."""
    from apps.notifications.services import notify_on_commit

    ids = {getattr(r, "pk", r) for r in recipients}
    ids.discard(None)
    msgs = Message.objects.bulk_create(
        [Message(recipient_id=i, sender=sender, category=category, title=title[:200], body=body, link=link[:300])
         for i in sorted(ids)]
    )
    pagecache.bump(*(unread_generation(i) for i in ids))
    notify_on_commit(message_ids=[m.pk for m in msgs], event=event)
    return len(ids)


def message_mark_read(*, user, message_id: int) -> Message:
    msg = Message.objects.get(pk=message_id, recipient=user)
    if not msg.is_read:
        Message.objects.filter(pk=msg.pk, is_read=False).update(is_read=True, read_at=timezone.now())
        msg.is_read = True
        pagecache.bump(unread_generation(user.pk))
    return msg


@transaction.atomic
def message_mark_all_read(*, user) -> int:
    pagecache.bump(unread_generation(user.pk))
    return Message.objects.filter(recipient=user, is_read=False).update(is_read=True, read_at=timezone.now())
