from django.db import models
from django.utils.translation import gettext_lazy as _


class CheckResult(models.Model):
    """The last outcome of a periodic self-check the metrics report (today: ``positions.ledger_check``, whose
    task returns the number of breaches). One row per check, overwritten by each run."""

    name = models.CharField(max_length=100, unique=True)
    finished_at = models.DateTimeField(_("完成时间"))
    ok = models.BooleanField(_("结果正常"))
    value = models.BigIntegerField(_("异常数"), null=True)
    detail = models.CharField(_("说明"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("自检结果")
        verbose_name_plural = _("自检结果")
