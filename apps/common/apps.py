from django.apps import AppConfig, apps


class CommonConfig(AppConfig):
    name = "apps.common"
    verbose_name = "公共"

    def ready(self):
        from . import beat_health  # noqa: F401  (connects the beat bookkeeping signals)
        from .models import install_choice_labels

        # every model of the project shows its choice labels from a per-language table (models.choice_label)
        install_choice_labels(m for m in apps.get_models() if m.__module__.startswith("apps."))
