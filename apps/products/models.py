from decimal import Decimal

from django.core.validators import MinValueValidator, MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.common.models import TimeStampedModel
from apps.common.money import MoneyField


class Product(TimeStampedModel):
    """A loan product (贷款类型 / 业务类别). Its per-case hold is what dispatch freezes
    on an accepting institution's margin."""

    class Category(models.TextChoices):
        MORTGAGE = "mortgage", _("房产抵押贷款")
        CAR = "car", _("汽车贷款")
        CREDIT = "credit", _("信用贷款")
        BUSINESS = "business", _("经营贷款")
        OTHER = "other", _("其他")

    code = models.SlugField(_("产品代码"), max_length=40, unique=True)
    name = models.CharField(_("产品名称"), max_length=100, unique=True)
    category = models.CharField(_("业务类别"), max_length=20, choices=Category.choices)
    description = models.TextField(_("说明"), blank=True)
    min_amount = MoneyField(_("最低金额"), default=Decimal("10000.00"), validators=[MinValueValidator(Decimal("0.01"))])
    max_amount = MoneyField(_("最高金额"), default=Decimal("10000000.00"))
    hold_amount = MoneyField(_("单笔冻结头寸"), validators=[MinValueValidator(Decimal("0.00"))])
    commission_rate = models.DecimalField(
        _("默认佣金费率"), max_digits=6, decimal_places=4, default=Decimal("0.0100"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))],
        help_text=_("按放款金额的比例，如 0.0100 表示 1%"),
    )
    commission_min = MoneyField(_("最低佣金"), default=Decimal("0.00"))
    service_fee = MoneyField(_("客户服务费"), default=Decimal("0.00"))
    checklist = models.JSONField(_("资料清单"), default=list, blank=True, help_text=_("该产品要求的资料名称列表"))
    is_active = models.BooleanField(_("启用"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("贷款产品")
        verbose_name_plural = _("贷款产品")
        ordering = ["sort_order", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(hold_amount__gte=0), name="product_hold_nonneg"),
            models.CheckConstraint(condition=models.Q(max_amount__gte=models.F("min_amount")), name="product_amount_range"),
        ]

    def __str__(self) -> str:
        return self.name
