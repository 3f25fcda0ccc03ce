from django.apps import AppConfig


class SettlementConfig(AppConfig):
    name = "apps.settlement"
    verbose_name = "结算"

    def ready(self):
        from apps.cases.hooks import register_on_disbursed
        from apps.dispatch.health_signals import register_overdue_source

        from . import selectors, services

        register_on_disbursed(services.settlement_open)
        register_overdue_source(selectors.overdue_counts)
