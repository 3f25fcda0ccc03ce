"""System check: every view of the three areas states a permission code (through ``area_view``),
except the few that must open without one (sign-in, activation)."""
from django.core.checks import Error, register
from django.urls import URLPattern, URLResolver, get_resolver

OPEN_VIEWS = {"login", "logout", "activate"}
AREA_NAMESPACES = {"ops", "platform", "inst"}


def iter_area_patterns(resolver=None, namespace=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from iter_area_patterns(entry, entry.namespace or namespace)
        elif isinstance(entry, URLPattern) and namespace in AREA_NAMESPACES:
            yield namespace, entry


@register()
def views_have_permission_codes(app_configs, **kwargs):
    errors = []
    for namespace, pattern in iter_area_patterns():
        if pattern.name in OPEN_VIEWS:
            continue
        if not hasattr(pattern.callback, "required_perms"):
            errors.append(Error(
                f"view {namespace}:{pattern.name} has no permission code",
                hint="decorate it with apps.accounts.permissions.area_view('app.code')",
                id="shuyin.E001"))
    return errors
