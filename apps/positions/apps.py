from django.apps import AppConfig


class PositionsConfig(AppConfig):
    name = "apps.positions"
    verbose_name = "机构头寸与资金"
