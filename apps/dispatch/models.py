"""Dispatch (系统派发): which institutions may receive an application, in which order, and what they answered.

- ``Profile``: an institution's dispatch profile (派发参数) — where it serves, which products, which client
  types, how many cases it can hold at once — and its running statistics and stored score.
- ``Dispatch``: one attempt to place an application at one cluster level; ``Round``: up to three per
  attempt; ``Candidate``: one institution offered the case, with the score and parts that put it there.
- ``Timer``: every deadline lives here as a row; the beat sweep applies due rows exactly once.
- ``LostCase``: a case an institution matched but lost for want of position or capacity (符合条件流失).
- ``CategoryRequest``: an institution's request to change its business categories, approved by 数银.
- ``Cluster``: a configurable group of regions forming one cluster level beyond the built-in ones.
"""
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from apps.common.models import TimeStampedModel
from apps.common.money import MoneyField
from apps.members.models import ClientType


class Profile(TimeStampedModel):
    institution = models.OneToOneField("accounts.Organization", on_delete=models.PROTECT,
                                       related_name="dispatch_profile", verbose_name=_("机构"))
    margin_account = models.ForeignKey("positions.Account", on_delete=models.PROTECT, related_name="+")
    is_active = models.BooleanField(_("接单中"), default=True, help_text=_("暂停后不再接收新的派单"))
    capacity = models.PositiveIntegerField(_("同时服务人数"), default=20,
                                           help_text=_("同时在办（已受理未结束）的案件数上限"))
    client_types = ArrayField(models.CharField(max_length=20, choices=ClientType.choices), default=list,
                              blank=True, verbose_name=_("服务对象"))
    products = models.ManyToManyField("products.Product", through="ProfileProduct", related_name="+",
                                      verbose_name=_("业务类别"))
    # copies of the two lists above as arrays on the row, so that selection filters one row at a time
    # while walking the score index (no joins to plan): kept by services.profile_*_set
    product_ids = ArrayField(models.IntegerField(), default=list, blank=True, editable=False)
    coverage = ArrayField(models.CharField(max_length=14), default=list, blank=True, editable=False)
    # running statistics (kept up to date by the dispatch and settlement services)
    dispatched_count = models.PositiveIntegerField(_("派单数"), default=0)
    accepted_count = models.PositiveIntegerField(_("受理数"), default=0)
    declined_count = models.PositiveIntegerField(_("拒单数"), default=0)
    lapsed_count = models.PositiveIntegerField(_("超时数"), default=0)
    gave_up_count = models.PositiveIntegerField(_("放弃数"), default=0)
    success_count = models.PositiveIntegerField(_("成功放款数"), default=0)
    amount_lent = MoneyField(_("放款金额"), default=0)
    rating_sum = models.PositiveIntegerField(default=0)
    rating_count = models.PositiveIntegerField(_("评价数"), default=0)
    answer_median_s = models.PositiveIntegerField(_("受理用时中位数（秒）"), null=True, blank=True)
    disburse_median_s = models.PositiveIntegerField(_("放款用时中位数（秒）"), null=True, blank=True)
    active_cases = models.PositiveIntegerField(_("在办案件数"), default=0)
    lost_count = models.PositiveIntegerField(_("符合条件流失单数"), default=0)
    last_dispatched_at = models.DateTimeField(_("最近派单时间"), null=True, blank=True)
    # the stored score (see scoring.py) and the health check (体检)
    score = models.DecimalField(_("综合评分"), max_digits=9, decimal_places=4, default=0)
    score_parts = models.JSONField(default=dict, blank=True)
    excluded = models.BooleanField(_("体检排除"), default=False)
    health_notes = models.JSONField(default=list, blank=True)
    health_checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("机构派发参数")
        verbose_name_plural = _("机构派发参数")
        ordering = ["id"]
        indexes = [
            # candidate selection walks this index in score order and stops after the top rows
            models.Index(F("score").desc(), F("last_dispatched_at").asc(nulls_first=True), "id",
                         condition=Q(is_active=True, excluded=False), name="dispatch_rank"),
            # a region few institutions serve: find them by their coverage keys, then sort the few
            GinIndex(fields=["coverage"], name="dispatch_coverage"),
        ]
        permissions = [
            ("view_own_profile", _("查看本机构派发参数")),
            ("edit_own_profile", _("修改本机构派发参数")),
            ("manage_profiles", _("管理机构派发参数与业务类别变更")),
        ]

    def __str__(self) -> str:
        return str(self.institution)

    @property
    def abandoned(self) -> int:
        return self.declined_count + self.lapsed_count + self.gave_up_count

    @property
    def abandon_rate(self):
        return self.abandoned / self.dispatched_count if self.dispatched_count else None

    @property
    def success_rate(self):
        return self.success_count / self.accepted_count if self.accepted_count else None

    @property
    def rating(self):
        return round(self.rating_sum / self.rating_count, 2) if self.rating_count else None

    @property
    def free_capacity(self) -> int:
        return max(self.capacity - self.active_cases, 0)


class ProfileProduct(models.Model):
    profile = models.ForeignKey(Profile, on_delete=models.CASCADE, related_name="product_links")
    product = models.ForeignKey("products.Product", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["product", "profile"], name="profile_product_once")]


def coverage_keys(areas) -> list[str]:
    """The keys a set of service areas answers to (see selectors.area_keys): ``r:<code>`` for each area
    itself, ``c:<city>`` for the city each lies in, ``p:<province>`` for its province."""
    keys = set()
    for code, city_code, province_code in areas:
        keys.add(f"r:{code}")
        if city_code:
            keys.add(f"c:{city_code}")
        keys.add(f"p:{province_code}")
    return sorted(keys)


class ServiceArea(models.Model):
    """A region the institution serves (服务区): a province, a city or a district, with its province and city
    codes copied so that every cluster level is one indexed lookup."""

    profile = models.ForeignKey(Profile, on_delete=models.CASCADE, related_name="areas")
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("服务区域"))
    level = models.PositiveSmallIntegerField()
    province_code = models.CharField(max_length=12)
    city_code = models.CharField(max_length=12, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["profile", "region"], name="service_area_once")]
        indexes = [models.Index(fields=["region", "profile"]), models.Index(fields=["city_code", "profile"]),
                   models.Index(fields=["province_code", "profile"])]


class Cluster(models.Model):
    """A named group of regions (e.g. 长三角 = 上海、江苏、浙江、安徽) forming one custom cluster level; the
    level's code is listed in the parameter ``dispatch.cluster_levels`` between the built-in ones."""

    level = models.SlugField(_("层级代码"), max_length=30)
    name = models.CharField(_("名称"), max_length=50)
    regions = models.ManyToManyField("regions.Region", related_name="+", verbose_name=_("包含区域"))

    class Meta:
        verbose_name = _("派发区域集群")
        verbose_name_plural = _("派发区域集群")
        ordering = ["level", "name"]
        constraints = [models.UniqueConstraint(fields=["level", "name"], name="cluster_name_once")]

    def __str__(self) -> str:
        return self.name


class Dispatch(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running", _("派发中")
        CHOOSING = "choosing", _("待客户选择")
        CHOSEN = "chosen", _("客户已选定")
        FAILED = "failed", _("无机构受理")
        REFUSED = "refused", _("客户拒绝全部机构")
        LAPSED = "lapsed", _("客户逾期未选择")

    LIVE = [Status.RUNNING, Status.CHOOSING]

    application = models.ForeignKey("applications.Application", on_delete=models.PROTECT, related_name="dispatches")
    attempt = models.PositiveSmallIntegerField(_("第几次派发"))
    level = models.CharField(_("区域层级"), max_length=30)
    status = FSMField(_("状态"), default=Status.RUNNING, choices=Status.choices)
    started_at = models.DateTimeField(_("开始时间"))
    cutoff_at = models.DateTimeField(_("派发截止"))
    round_count = models.PositiveSmallIntegerField(_("轮次"), default=0)
    accepted_count = models.PositiveSmallIntegerField(_("受理机构数"), default=0)
    first_accepted_at = models.DateTimeField(_("首家受理时间"), null=True, blank=True)
    choice_deadline = models.DateTimeField(_("客户确认截止"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    outcome = models.CharField(_("结果说明"), max_length=200, blank=True)
    chosen = models.ForeignKey("Candidate", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("派发记录")
        verbose_name_plural = _("派发记录")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["application", "attempt"], name="dispatch_attempt_once"),
            models.UniqueConstraint(fields=["application"], condition=Q(status__in=["running", "choosing"]),
                                    name="one_live_dispatch"),
        ]
        indexes = [models.Index(fields=["status", "-id"])]
        permissions = [
            ("intervene", _("跟单干预（加派、延长时限、提前结束本轮）")),
            ("record_choice", _("录入客户选择")),
            ("redispatch", _("重新派发（扩大区域）")),
        ]

    def __str__(self) -> str:
        return f"{self.application_id}#{self.attempt}"

    @transition(field=status, source=Status.RUNNING, target=Status.CHOOSING)
    def to_choice(self):
        pass

    @transition(field=status, source=Status.RUNNING, target=Status.FAILED)
    def fail(self):
        pass

    @transition(field=status, source=[Status.RUNNING, Status.CHOOSING], target=Status.CHOSEN)
    def choose(self):
        pass

    @transition(field=status, source=[Status.RUNNING, Status.CHOOSING], target=Status.REFUSED)
    def refuse_all(self):
        pass

    @transition(field=status, source=[Status.RUNNING, Status.CHOOSING], target=Status.LAPSED)
    def lapse(self):
        pass


class Round(models.Model):
    """One batch of offers. ``deadline`` is the refill point (补全节奏): when it passes, the places not yet
    accepted are offered to new institutions; each offer keeps its own deadline (``Candidate.deadline``)."""

    dispatch = models.ForeignKey(Dispatch, on_delete=models.CASCADE, related_name="rounds")
    number = models.PositiveSmallIntegerField(_("轮次"))
    started_at = models.DateTimeField(_("开始时间"))
    deadline = models.DateTimeField(_("补全时间"))
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    close_reason = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["number"]
        constraints = [models.UniqueConstraint(fields=["dispatch", "number"], name="round_number_once")]


class DeclineReason(models.TextChoices):
    CRITERIA = "criteria", _("客户资质不符合准入条件")
    AMOUNT = "amount", _("金额或期限不符")
    REGION = "region", _("区域不便办理")
    BUSY = "busy", _("业务繁忙暂不接单")
    DUPLICATE = "duplicate", _("客户已在本机构办理")
    OTHER = "other", _("其他")


class Candidate(models.Model):
    class Status(models.TextChoices):
        OFFERED = "offered", _("待受理")
        ACCEPTED = "accepted", _("已受理")
        DECLINED = "declined", _("已拒绝")
        LAPSED = "lapsed", _("超时未处理")
        REFUSED = "refused", _("受理失败")
        CANCELLED = "cancelled", _("已撤回")
        CHOSEN = "chosen", _("客户已选定")
        RELEASED = "released", _("未被选定")

    TONES = {"offered": "warning", "accepted": "success", "chosen": "success", "declined": "secondary",
             "lapsed": "danger", "refused": "danger", "cancelled": "secondary", "released": "secondary"}

    dispatch = models.ForeignKey(Dispatch, on_delete=models.CASCADE, related_name="candidates")
    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="candidates")
    application = models.ForeignKey("applications.Application", on_delete=models.PROTECT, related_name="+")
    institution = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("机构"))
    profile = models.ForeignKey(Profile, on_delete=models.PROTECT, related_name="candidates")
    rank = models.PositiveSmallIntegerField(_("排名"), default=0)
    score = models.DecimalField(_("评分"), max_digits=9, decimal_places=4, default=0)
    parts = models.JSONField(default=dict, blank=True)
    manual = models.BooleanField(_("人工加派"), default=False)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    manual_reason = models.CharField(max_length=200, blank=True)
    status = FSMField(_("状态"), default=Status.OFFERED, choices=Status.choices)
    offered_at = models.DateTimeField(_("派单时间"))
    deadline = models.DateTimeField(_("受理截止"))
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    decline_code = models.CharField(_("拒绝原因"), max_length=20, choices=DeclineReason.choices, blank=True)
    decline_text = models.CharField(_("拒绝说明"), max_length=300, blank=True)
    refuse_reason = models.CharField(_("受理失败原因"), max_length=200, blank=True)
    hold_id = models.BigIntegerField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("派发对象")
        verbose_name_plural = _("派发对象")
        ordering = ["round_id", "rank", "id"]
        constraints = [
            models.UniqueConstraint(fields=["application", "institution"], name="candidate_once_per_application"),
            models.UniqueConstraint(fields=["hold_id"], name="candidate_hold_once"),
        ]
        indexes = [models.Index(fields=["institution", "status", "-id"]), models.Index(fields=["profile", "-id"])]
        permissions = [("answer_case", _("受理或拒绝派单")), ("view_case", _("查看派单"))]

    @property
    def tone(self) -> str:
        return self.TONES.get(self.status, "primary")

    @property
    def shows_client(self) -> bool:
        """Institutions see the client's personal data only after accepting."""
        return self.status in (self.Status.ACCEPTED, self.Status.CHOSEN)

    @transition(field=status, source=Status.OFFERED, target=Status.ACCEPTED)
    def accept(self):
        pass

    @transition(field=status, source=Status.OFFERED, target=Status.DECLINED)
    def decline(self):
        pass

    @transition(field=status, source=Status.OFFERED, target=Status.LAPSED)
    def lapse(self):
        pass

    @transition(field=status, source=Status.OFFERED, target=Status.REFUSED)
    def refuse(self):
        pass

    @transition(field=status, source=Status.OFFERED, target=Status.CANCELLED)
    def cancel(self):
        pass

    @transition(field=status, source=Status.ACCEPTED, target=Status.CHOSEN)
    def choose(self):
        pass

    @transition(field=status, source=Status.ACCEPTED, target=Status.RELEASED)
    def release(self):
        pass


class Timer(models.Model):
    class Kind(models.TextChoices):
        ROUND = "round", _("补全下一轮")
        OFFER = "offer", _("机构受理截止")
        CHOICE = "choice", _("客户确认截止")

    kind = models.CharField(max_length=10, choices=Kind.choices)
    dispatch = models.ForeignKey(Dispatch, on_delete=models.CASCADE, related_name="timers")
    round = models.ForeignKey(Round, null=True, blank=True, on_delete=models.CASCADE, related_name="timers")
    due_at = models.DateTimeField()
    done_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=100, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        indexes = [models.Index(fields=["due_at"], condition=Q(done_at__isnull=True), name="timer_due")]


class Event(models.Model):
    """The dispatch log: every round, answer, intervention and timer, with who and when."""

    dispatch = models.ForeignKey(Dispatch, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("时间"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    text = models.CharField(_("事件"), max_length=300)

    class Meta:
        ordering = ["id"]


class LostCase(models.Model):
    class Reason(models.TextChoices):
        POSITION = "position", _("头寸不足")
        CAPACITY = "capacity", _("同时服务人数已满")

    institution = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+")
    application = models.ForeignKey("applications.Application", on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("原因"), max_length=20, choices=Reason.choices)
    at = models.DateTimeField(_("时间"))

    class Meta:
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["institution", "application"], name="lost_case_once")]
        indexes = [models.Index(fields=["institution", "at"])]


class CategoryRequest(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("待审核")
        APPROVED = "approved", _("已通过")
        REJECTED = "rejected", _("已驳回")

    institution = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("机构"))
    products = models.ManyToManyField("products.Product", related_name="+", verbose_name=_("申请的业务类别"))
    note = models.CharField(_("申请说明"), max_length=300, blank=True)
    status = FSMField(_("状态"), default=Status.PENDING, choices=Status.choices)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    decision_note = models.CharField(_("审核意见"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("业务类别变更申请")
        verbose_name_plural = _("业务类别变更申请")
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["institution"], condition=Q(status="pending"),
                                               name="one_pending_category_request")]

    @transition(field=status, source=Status.PENDING, target=Status.APPROVED)
    def approve(self):
        pass

    @transition(field=status, source=Status.PENDING, target=Status.REJECTED)
    def reject(self):
        pass


class ScoringState(models.Model):
    """One row: the signature of the weights the stored scores were computed with. When a weight parameter
    changes, the next selection sees a different signature and rescores every profile first."""

    signature = models.CharField(max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
