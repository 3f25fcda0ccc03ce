from django.shortcuts import get_object_or_404

from apps.common import pagecache

from .models import Message


def unread_count(*, user) -> int:
    return Message.objects.filter(recipient=user, is_read=False).count()


def unread_badge(*, user) -> int:
    """``unread_count`` for the layout's envelope, kept until a message to or read by the user moves the user's
    ``messages:<pk>`` generation on (``services``)."""
    return pagecache.figure_value(user, "unread", lambda: unread_count(user=user))


def unread_generation(user_id: int) -> str:
    return f"messages:{user_id}"


pagecache.figure("unread", lambda user: [unread_generation(user.pk)])


def message_list_for_user(*, user):
    return Message.objects.filter(recipient=user).select_related("sender")


def message_get_for_user(*, user, pk: int) -> Message:
    return get_object_or_404(message_list_for_user(user=user), pk=pk)
