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
    # GB/T 2260 changes every year: a retired code keeps its row (old applications still point at it) and names the
    # code that replaced it, which new entries use.
    is_active = models.BooleanField(_("有效"), default=True)
    successor = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("承继区划"))
    retired_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")
        ordering = ["code"]
        permissions = [("manage_regions", _("维护行政区划"))]

    def __str__(self) -> str:
        return self.name

    @property
    def current(self) -> "Region":
        """This region, or the code that replaced it when it was retired (followed to the end)."""
        region, seen = self, set()
        while region.successor_id and region.pk not in seen:
            seen.add(region.pk)
            region = region.successor
        return region
