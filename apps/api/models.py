"""API keys of institutions and the stored answers of idempotent POSTs.

A key acts through an account of its own (``user``): a row of the institution that cannot sign in anywhere (no
usable password, stored inactive, so it is never a recipient, an officer to allocate to, nor counted as staff);
the API switches it on for the request it authenticates and gives it exactly the key's codes and the whole
institution as data scope. Every service then checks codes and scope for it as for a person, and the case and
settlement logs name the key."""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.common.models import TimeStampedModel


class ApiKey(TimeStampedModel):
    institution = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="api_keys",
                                    verbose_name=_("机构"))
    name = models.CharField(_("名称"), max_length=50)
    prefix = models.CharField(_("密钥前缀"), max_length=20, unique=True)
    key_hash = models.CharField(max_length=64, editable=False)  # sha256 hex of the whole key (256 random bits)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_key",
                                editable=False)
    permissions = models.JSONField(_("权限"), default=list)
    rate_per_minute = models.PositiveIntegerField(_("每分钟请求上限"), default=120)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("创建人"))
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("吊销人"))
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)

    class Meta:
        verbose_name = _("API密钥")
        verbose_name_plural = _("API密钥")
        ordering = ["-id"]
        permissions = [("manage_apikey", _("管理接口密钥"))]

    def __str__(self) -> str:
        return f"{self.name}（{self.prefix}…）"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class IdempotencyRecord(models.Model):
    """The first answer to a POST with an ``Idempotency-Key``: replayed for every later POST with the same key to
    the same route by the same institution. The row is inserted in the transaction that runs the request, so a
    concurrent duplicate waits on the unique index until the first commits, then reads its answer."""

    institution = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=100)
    route = models.CharField(max_length=300)
    request_hash = models.CharField(max_length=64)
    api_key = models.ForeignKey(ApiKey, null=True, on_delete=models.SET_NULL, related_name="+")
    status_code = models.PositiveSmallIntegerField(default=0)
    body = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["institution", "key", "route"], name="api_idempotency_once")]
