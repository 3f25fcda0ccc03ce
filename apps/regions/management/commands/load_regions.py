from django.core.management.base import BaseCommand

from apps.regions.services import regions_load


class Command(BaseCommand):
    help = "Load or refresh the GB/T 2260 region tree from apps/regions/data/pca-code.json"

    def handle(self, *args, **options):
        count = regions_load()
        self.stdout.write(f"{count} regions loaded")
