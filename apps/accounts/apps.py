from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_access(sender, **kwargs):
    from .services import access_sync

    access_sync()


class AccountsConfig(AppConfig):
    name = "apps.accounts"
    verbose_name = "账号与权限"

    def ready(self):
        from . import checks, signals  # noqa: F401

        post_migrate.connect(_sync_access, sender=self, dispatch_uid="accounts_access_sync")
