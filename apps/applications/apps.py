from django.apps import AppConfig


class ApplicationsConfig(AppConfig):
    name = "apps.applications"
    verbose_name = "贷款申请与审核"
