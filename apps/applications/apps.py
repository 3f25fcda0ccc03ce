from django.apps import AppConfig


class ApplicationsConfig(AppConfig):
    name = "apps.applications"
    verbose_name = "贷款申请与审核"

    def ready(self):
        from . import pages

        pages.connect()  # the detail page's cache generations follow the rows it shows
