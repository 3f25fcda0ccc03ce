from django.apps import AppConfig


class DispatchConfig(AppConfig):
    name = "apps.dispatch"
    verbose_name = "系统派发"

    def ready(self):
        from apps.applications.hooks import register_on_ready

        from .tasks import start_after_review

        register_on_ready(start_after_review)
