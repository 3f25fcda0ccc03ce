"""Find a conventionally named module (``access``, ``params``, ``demo``…) in every project app."""
from importlib import import_module

from django.apps import apps as django_apps


def app_modules(name: str):
    """Yield (app_config, module) for each project app (``apps.*``) that has ``apps/<app>/<name>.py``,
    in INSTALLED_APPS order. An ImportError inside such a module is not swallowed."""
    for config in django_apps.get_app_configs():
        if not config.name.startswith("apps."):
            continue
        try:
            module = import_module(f"{config.name}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.{name}":
                raise
            continue
        yield config, module
