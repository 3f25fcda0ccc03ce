from django.apps import AppConfig


class ObservabilityConfig(AppConfig):
    """Health probes, Prometheus metrics, request ids in logs and Sentry (issue 22 §5). It sits above every other
    app (it reads their tables to compute gauges) and nothing imports it except settings and shuyin/celery.py."""

    name = "apps.observability"
    verbose_name = "运行监控"

    def ready(self):
        from django.core.signals import request_finished

        from . import signals  # noqa: F401  (records the last ledger_check result when the task finishes)
        from .requestid import request_id_clear

        request_finished.connect(request_id_clear, dispatch_uid="observability_request_id_clear")
