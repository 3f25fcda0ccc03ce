def inst_lost_cases(request):
    """The header's 符合条件流失单子数: qualifying cases the institution lost for want of position or capacity
    in the last 30 days (one indexed count)."""
    user = getattr(request, "user", None)
    if getattr(request, "area", "") != "inst" or not user or not user.is_authenticated or user.organization is None:
        return {}
    from datetime import timedelta

    from apps.common import clock

    from .models import LostCase

    since = clock.now() - timedelta(days=30)
    return {"inst_lost_cases": LostCase.objects.filter(institution_id=user.organization.root_id, at__gte=since).count()}
