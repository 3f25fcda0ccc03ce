"""Exports (Excel/PDF jobs run by Celery with progress) and the regional ranking (区域内业务水平排名)."""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ExportJob(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("生成中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")
        EXPIRED = "expired", _("已过期")

    class Format(models.TextChoices):
        XLSX = "xlsx", _("Excel")
        PDF = "pdf", _("PDF")

    TONES = {"queued": "secondary", "running": "info", "done": "success", "failed": "danger", "expired": "secondary"}

    report = models.CharField(_("报表"), max_length=40)
    fmt = models.CharField(_("格式"), max_length=4, choices=Format.choices)
    params = models.JSONField(_("筛选条件"), default=dict, blank=True)
    title = models.CharField(_("名称"), max_length=100)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    rows_total = models.PositiveIntegerField(_("总行数"), default=0)
    rows_done = models.PositiveIntegerField(_("已完成行数"), default=0)
    path = models.CharField(max_length=200, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    error = models.CharField(_("失败原因"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("提交时间"), auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    expires_at = models.DateTimeField(_("过期时间"), null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["requested_by", "-id"])]
        permissions = [("export_report", _("导出报表"))]

    @property
    def progress(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return int(self.rows_done * 100 / self.rows_total) if self.rows_total else 0

    @property
    def tone(self) -> str:
        return self.TONES.get(self.status, "primary")


class Ranking(models.Model):
    """One institution's place on one metric within its province or city, refreshed by a periodic job."""

    class Scope(models.TextChoices):
        PROVINCE = "province", _("省内")
        CITY = "city", _("市内")

    class Metric(models.TextChoices):
        OVERALL = "overall", _("综合")
        AMOUNT = "amount", _("放款金额")
        TIMELINESS = "timeliness", _("时效")
        SUCCESS = "success", _("成功单数")
        ABANDON = "abandon", _("弃单率")

    institution = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    scope = models.CharField(max_length=10, choices=Scope.choices)
    region_code = models.CharField(max_length=12)
    metric = models.CharField(max_length=12, choices=Metric.choices)
    rank = models.PositiveIntegerField(_("名次"))
    total = models.PositiveIntegerField(_("参与排名机构数"))
    value = models.DecimalField(max_digits=16, decimal_places=4, null=True)
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["institution", "scope", "metric"], name="ranking_once")]
        indexes = [models.Index(fields=["scope", "region_code", "metric", "rank"])]
