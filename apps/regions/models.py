from django.db import models
from django.utils.translation import gettext_lazy as _


class Region(models.Model):
    """A GB/T 2260 administrative division: province, prefecture-level city or county/district."""

    class Level(models.IntegerChoices):
        PROVINCE = 1, _("省")
        CITY = 2, _("市")
        DISTRICT = 3, _("区县")

    code = models.CharField(_("区划代码"), max_length=12, unique=True)
    name = models.CharField(_("名称"), max_length=50)
    level = models.PositiveSmallIntegerField(_("级别"), choices=Level.choices, db_index=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children", verbose_name=_("上级")
    )
    province_code = models.CharField(_("省代码"), max_length=12, db_index=True)
    city_code = models.CharField(_("市代码"), max_length=12, blank=True, db_index=True)

    class Meta:
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name
