from django.shortcuts import get_object_or_404

from .models import Message


def unread_count(*, user) -> int:
    return Message.objects.filter(recipient=user, is_read=False).count()


def message_list_for_user(*, user):
    return Message.objects.filter(recipient=user).select_related("sender")


def message_get_for_user(*, user, pk: int) -> Message:
    return get_object_or_404(message_list_for_user(user=user), pk=pk)
