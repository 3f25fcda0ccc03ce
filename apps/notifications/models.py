"""Channels beyond 站内信: who wants what (preferences, role defaults), the group robots an organisation connects,
every delivery attempted (the log administrators read) and the deadline reminders already sent (one row each)."""
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.common.models import TimeStampedModel

from .events import CHANNEL_LABELS, EVENT_CHOICES, PERSONAL_CHANNELS, ROBOT_KINDS


class Preference(models.Model):
    """One person's choice for one kind of event on one channel (absent: the role default, then the kind's)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    event = models.CharField(_("事件"), max_length=40, choices=EVENT_CHOICES)
    channel = models.CharField(_("渠道"), max_length=10, choices=PERSONAL_CHANNELS)
    enabled = models.BooleanField(_("接收"))

    class Meta:
        verbose_name = _("通知设置")
        verbose_name_plural = _("通知设置")
        constraints = [models.UniqueConstraint(fields=["user", "event", "channel"], name="notify_pref_once")]


class RoleDefault(models.Model):
    """An administrator's default for everyone holding a role (by role code: every institution's copy of a
    template role shares it)."""

    role_code = models.SlugField(_("角色代码"), max_length=40)
    event = models.CharField(_("事件"), max_length=40, choices=EVENT_CHOICES)
    channel = models.CharField(_("渠道"), max_length=10, choices=PERSONAL_CHANNELS)
    enabled = models.BooleanField(_("默认接收"))

    class Meta:
        verbose_name = _("通知默认设置")
        verbose_name_plural = _("通知默认设置")
        constraints = [models.UniqueConstraint(fields=["role_code", "event", "channel"], name="notify_default_once")]
        permissions = [("manage_defaults", _("设置各角色的通知默认值"))]


class Robot(TimeStampedModel):
    """A 企业微信 or 钉钉 group robot an institution (or a 数银 team) connected: new offers and deadline
    warnings of its people reach the group chat."""

    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+",
                                     verbose_name=_("所属机构或团队"))
    kind = models.CharField(_("类型"), max_length=10, choices=ROBOT_KINDS)
    name = models.CharField(_("群名称"), max_length=50)
    webhook_url = models.CharField(_("Webhook 地址"), max_length=500)
    secret = models.CharField(_("加签密钥"), max_length=100, blank=True)
    events = ArrayField(models.CharField(max_length=40), verbose_name=_("推送的事件"), default=list)
    is_active = models.BooleanField(_("启用"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("群机器人")
        verbose_name_plural = _("群机器人")
        ordering = ["id"]
        permissions = [("manage_robot", _("连接群机器人"))]

    def __str__(self) -> str:
        return self.name

    @property
    def masked_url(self) -> str:
        return mask_url(self.webhook_url)


class Delivery(models.Model):
    """One message on one channel to one person or group: what was sent, to whom (masked), and what the
    provider answered. Written by the Celery tasks only."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("待发送")
        SENDING = "sending", _("发送中")
        RETRYING = "retrying", _("等待重试")
        SENT = "sent", _("已发送")
        FAILED = "failed", _("发送失败")
        LOGGED = "logged", _("仅记录")
        LIMITED = "limited", _("超频未发送")

    TONES = {"queued": "secondary", "sending": "info", "retrying": "warning", "sent": "success", "failed": "danger",
             "logged": "secondary", "limited": "warning"}

    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    event = models.CharField(_("事件"), max_length=40, choices=EVENT_CHOICES)
    channel = models.CharField(_("渠道"), max_length=10, choices=list(CHANNEL_LABELS.items()))
    message = models.ForeignKey("messaging.Message", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+", verbose_name=_("接收人"))
    robot = models.ForeignKey(Robot, null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries",
                              verbose_name=_("群机器人"))
    recipient = models.CharField(_("接收地址"), max_length=120)  # masked: never the full address
    subject = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    link = models.CharField(max_length=300, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    response = models.TextField(_("渠道返回"), blank=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("通知发送记录")
        verbose_name_plural = _("通知发送记录")
        ordering = ["-id"]
        indexes = [models.Index(fields=["channel", "status", "-id"], name="delivery_channel_status"),
                   models.Index(fields=["created_at"], name="delivery_created")]

    @property
    def tone(self) -> str:
        return self.TONES.get(self.status, "secondary")


class Reminder(models.Model):
    """A deadline reminder sent once: (kind, object, step) is unique, so a sweep that runs twice, late or in
    two processes sends it once. ``step`` tells apart the steps of one object (a complaint's step number)."""

    kind = models.CharField(max_length=40)
    object_id = models.BigIntegerField()
    step = models.IntegerField(default=0)
    due_at = models.DateTimeField()
    sent_at = models.DateTimeField()

    class Meta:
        verbose_name = _("到期提醒记录")
        verbose_name_plural = _("到期提醒记录")
        constraints = [models.UniqueConstraint(fields=["kind", "object_id", "step"], name="reminder_once")]


def mask_url(url: str) -> str:
    """A webhook URL without its token: the key/access_token is the credential."""
    head, sep, query = url.partition("?")
    if not sep:
        return head
    parts = []
    for pair in query.split("&"):
        name, eq, value = pair.partition("=")
        parts.append(f"{name}={value[:4]}****" if eq and value else pair)
    return f"{head}?{'&'.join(parts)}"


def mask_address(channel: str, address: str) -> str:
    if channel == "email":
        name, at, domain = address.partition("@")
        return f"{name[:2]}***{at}{domain}" if at else "***"
    if channel == "sms":
        return f"{address[:3]}****{address[-4:]}" if len(address) >= 7 else "****"
    return mask_url(address)
