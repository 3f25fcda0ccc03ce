from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "apps.cases"
    verbose_name = "机构业务办理"

    def ready(self):
        from apps.dispatch.hooks import register_on_chosen

        from .services import case_open

        register_on_chosen(case_open)
