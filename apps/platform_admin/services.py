from django.db import transaction

from apps.accounts.models import Organization, User
from apps.messaging.models import Message
from apps.messaging.services import message_send


@transaction.atomic
def broadcast_to_institutions(*, sender, title: str, body: str, institutions=None) -> int:
    """An in-site message to every active staff member of the chosen institutions (their whole trees),
    or of all active institutions when none are chosen. Returns the number of recipients."""
    roots = Organization.objects.filter(kind=Organization.Kind.INSTITUTION, parent__isnull=True, is_active=True)
    if institutions:
        roots = roots.filter(pk__in=[i.pk for i in institutions])
    paths = list(roots.values_list("path", flat=True))
    if not paths:
        return 0
    from django.db.models import Q

    match = Q()
    for path in paths:
        match |= Q(organization__path__startswith=path)
    recipients = User.objects.filter(match, is_active=True).values_list("pk", flat=True)
    return message_send(recipients=list(recipients), title=title, body=body, sender=sender,
                        category=Message.Category.BROADCAST)
