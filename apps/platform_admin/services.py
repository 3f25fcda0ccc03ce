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


@transaction.atomic
def region_retire(*, actor, region, successor):
    """Retire a region code (``apps.regions.services.region_retire``) and carry what is configured on it over to
    its successor: institutions' service areas (their dispatch coverage is rebuilt) and dispatch clusters.
    Applications keep the old code (their history and place stay as they were); dispatch serves them as the
    successor (``Region.current``)."""
    from apps.dispatch.models import Cluster, Profile
    from apps.dispatch.services import profile_areas_set
    from apps.regions import services as regions

    retired = regions.region_retire(actor=actor, region=region, successor=successor)
    for profile in Profile.objects.filter(areas__region=retired).select_for_update().order_by("pk"):
        kept = [a.region for a in profile.areas.select_related("region") if a.region_id != retired.pk]
        if successor.pk not in {r.pk for r in kept}:
            kept.append(successor)
        profile_areas_set(profile=profile, regions=kept)
    for cluster in Cluster.objects.filter(regions=retired).order_by("pk"):
        cluster.regions.remove(retired)
        cluster.regions.add(successor)
    return retired
