"""Who may enter which area and open which view. One decorator per view states its code."""
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from . import authz_cache
from .models import Area, Organization

AREA_PERMS = {
    Area.OPS: "accounts.access_ops",
    Area.PLATFORM: "accounts.access_platform",
    Area.INST: "accounts.access_inst",
}


def user_areas(user) -> set[str]:
    """Areas a user may sign in to: institution users only the institution back office,
    数银 users the areas their roles open."""
    if not user.is_authenticated or user.organization is None:
        return set()
    kinds = {Area.INST} if user.organization.kind == Organization.Kind.INSTITUTION else {Area.OPS, Area.PLATFORM}
    return {area for area in kinds if user.has_perm(AREA_PERMS[area])}


def area_view(perm: str | None = None, *, perms: tuple[str, ...] = (), ahead=None):
    """Require a signed-in user of this request's area and the named permission code(s).

    Not signed in → the area's login page; wrong area or missing code → 403. ``ahead(request, *args, **kwargs)``:
    cache keys the view will read, fetched with the user's rights in one round trip (a cached page)."""
    needed = ((perm,) if perm else ()) + tuple(perms)

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            area = getattr(request, "area", "")
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path(), reverse(f"{area}:login"))
            if ahead is not None:
                authz_cache.request_generation(request.user, ahead(request, *args, **kwargs))
            if area not in user_areas(request.user):
                raise PermissionDenied("wrong area")
            if needed and not request.user.has_perms(needed):
                raise PermissionDenied("missing permission")
            return view(request, *args, **kwargs)

        wrapper.required_perms = needed
        return wrapper

    return decorator
