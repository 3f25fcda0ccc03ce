from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_regions(sender, **kwargs):
    """The region tree is reference data: reload it when a flush (e.g. a transactional test)
    emptied the table. The migration regions.0002 loads it the first time."""
    from .models import Region
    from .services import regions_load

    if not Region.objects.exists():
        regions_load()


class RegionsConfig(AppConfig):
    name = "apps.regions"
    verbose_name = "行政区划"

    def ready(self):
        post_migrate.connect(_ensure_regions, sender=self, dispatch_uid="regions_ensure_loaded")
