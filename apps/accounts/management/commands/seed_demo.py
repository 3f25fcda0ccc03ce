from importlib import import_module

from django.apps import apps as django_apps
from django.core.management.base import BaseCommand
from django.db import transaction


class Command(BaseCommand):
    help = "Load the demo data (idempotent): every app's demo.seed() in dependency order."

    def handle(self, *args, **options):
        total = 0
        with transaction.atomic():
            for config in django_apps.get_app_configs():
                if not config.name.startswith("apps."):
                    continue
                try:
                    module = import_module(f"{config.name}.demo")
                except ModuleNotFoundError as exc:
                    if exc.name != f"{config.name}.demo":
                        raise
                    continue
                created = module.seed() or []
                total += len(created)
                self.stdout.write(f"{config.label}: {len(created)} created")
        self.stdout.write(self.style.SUCCESS(f"demo data ready ({total} new rows)"))
