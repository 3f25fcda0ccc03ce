from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Message(models.Model):
    """An in-site message (站内信) to one user. Broadcasts create one row per recipient so
    read state is per person and the inbox is one indexed query."""

    class Category(models.TextChoices):
        SYSTEM = "system", _("系统通知")
        WORKFLOW = "workflow", _("业务提醒")
        FINANCE = "finance", _("财务提醒")
        COMPLAINT = "complaint", _("投诉反馈")
        BROADCAST = "broadcast", _("公告")

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="messages_received")
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    category = models.CharField(_("类别"), max_length=16, choices=Category.choices, default=Category.SYSTEM)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    link = models.CharField(_("链接"), max_length=300, blank=True)
    is_read = models.BooleanField(_("已读"), default=False)
    read_at = models.DateTimeField(_("阅读时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("站内信")
        verbose_name_plural = _("站内信")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["recipient", "is_read", "-id"], name="msg_inbox"),
        ]

    def __str__(self) -> str:
        return self.title
