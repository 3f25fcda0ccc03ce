from django.core.management.base import BaseCommand
from django.db import transaction

from apps.common.discovery import app_modules


class Command(BaseCommand):
    help = "Load the demo data (idempotent): every app's demo.seed() in dependency order."

    def handle(self, *args, **options):
        total = 0
        with transaction.atomic():
            for config, module in app_modules("demo"):
                created = module.seed() or []
                total += len(created)
                self.stdout.write(f"{config.label}: {len(created)} created")
        self.stdout.write(self.style.SUCCESS(f"demo data ready ({total} new rows)"))
