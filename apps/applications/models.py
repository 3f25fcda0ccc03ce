"""Loan applications and their review workflow (客服审核 → 贷审审核 → 待派发, with supplement requests,
arbitration of CS rejections, parking as 待审出方案 and withdrawal). The status codes are domain.md §11's;
statuses after ``ready`` belong to the dispatch and settlement apps, which add their transitions."""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_fsm import RETURN_VALUE, FSMField, transition

from apps.common.models import TimeStampedModel
from apps.common.money import MoneyField
from apps.members.models import ClientType


class Status(models.TextChoices):
    DRAFT = "draft", _("草稿")
    CS_REVIEW = "cs_review", _("待客服审核")
    CS_REJECTED = "cs_rejected", _("客服拒绝（待仲裁）")
    LR_REVIEW = "lr_review", _("待贷审审核")
    PENDING_PLAN = "pending_plan", _("待审出方案")
    SUPPLEMENT = "supplement", _("待补充资料")
    READY = "ready", _("待派发")
    DISPATCHING = "dispatching", _("派发中")
    REDISPATCH = "redispatch", _("派发失败（待贷审处理）")
    AWAITING_CHOICE = "awaiting_choice", _("待客户确认机构")
    IN_INSTITUTION = "in_institution", _("机构办理中")
    DISBURSED = "disbursed", _("已放款")
    SETTLING = "settling", _("结算中")
    RATING = "rating", _("待评价")
    COMPLETED = "completed", _("已完成")
    LR_REJECTED = "lr_rejected", _("贷审拒绝")
    WITHDRAWN = "withdrawn", _("已撤回")


FINAL = [Status.COMPLETED, Status.LR_REJECTED, Status.WITHDRAWN]
BEFORE_DISPATCH = [Status.DRAFT, Status.CS_REVIEW, Status.CS_REJECTED, Status.LR_REVIEW, Status.PENDING_PLAN,
                   Status.SUPPLEMENT, Status.READY]
STATUS_TONES = {Status.READY: "success", Status.COMPLETED: "success", Status.LR_REJECTED: "danger",
                Status.CS_REJECTED: "danger", Status.WITHDRAWN: "secondary", Status.SUPPLEMENT: "warning",
                Status.DRAFT: "secondary", Status.REDISPATCH: "danger", Status.AWAITING_CHOICE: "warning",
                Status.DISPATCHING: "info"}


class Application(TimeStampedModel):
    order_no = models.CharField(_("单号"), max_length=20, unique=True)
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="applications",
                               verbose_name=_("客户"))
    product = models.ForeignKey("products.Product", on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("贷款产品"))
    amount = MoneyField(_("申请金额"))
    term_months = models.PositiveSmallIntegerField(_("期限（月）"))
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("所在区县"))
    purpose = models.CharField(_("贷款用途"), max_length=200)
    client_type = models.CharField(_("客户类型"), max_length=20, choices=ClientType.choices)
    status = FSMField(_("状态"), default=Status.DRAFT, choices=Status.choices, db_index=True)
    cm = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                           verbose_name=_("客户经理"))
    organization = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+")
    supplement_count = models.PositiveSmallIntegerField(_("补充资料次数"), default=0)
    supplement_return_to = models.CharField(max_length=20, blank=True)
    supplement_note = models.CharField(_("需补充的资料"), max_length=500, blank=True)
    # the last supplement request: whether it asked for a written answer, and the highest document id at the time
    # (a document with a higher id was added or replaced since: services.supplement_answered)
    supplement_asks_info = models.BooleanField(_("需书面说明"), default=False)
    supplement_doc_mark = models.PositiveIntegerField(default=0)
    manual_intervention = models.BooleanField(_("人工干预"), default=False, db_index=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = _("贷款申请")
        verbose_name_plural = _("贷款申请")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["member", "product"], name="one_open_application_per_product",
                                    condition=~Q(status__in=["completed", "lr_rejected", "withdrawn"])),
            models.CheckConstraint(condition=Q(amount__gt=0), name="application_amount_positive"),
        ]
        indexes = [
            models.Index(fields=["status", "-id"]), models.Index(fields=["cm", "-id"]),
            # the review queues' default order, covering their filters: a deep page's ids come from the index alone
            models.Index(fields=["submitted_at", "id"], include=["status", "manual_intervention", "organization", "cm"],
                         name="app_submitted_cover"),
            # a customer manager's own list, newest first, covering its scope and filters (index-only deep pages)
            models.Index(fields=["cm", "-created_at", "-id"], include=["organization", "status", "manual_intervention"],
                         name="app_cm_created_cover"),
        ]
        permissions = [
            ("submit_application", _("录入并提交贷款申请")),
            ("view_team", _("查看团队的贷款申请")),
            ("review_cs", _("客服审核")),
            ("review_lr", _("贷审审核")),
            ("arbitrate", _("仲裁客服拒绝")),
            ("supervise_review", _("贷审主管（人工干预）")),
            ("view_settlement_status", _("查看结算环节状态（已放款、结算中、待评价）")),
        ]

    def __str__(self) -> str:
        return self.order_no

    @property
    def status_tone(self) -> str:
        return STATUS_TONES.get(self.status, "primary")

    # -- transitions: state only; the services lock, check, record and notify --
    @transition(field=status, source=Status.DRAFT, target=Status.CS_REVIEW)
    def submit(self):
        pass

    @transition(field=status, source=Status.CS_REVIEW, target=Status.LR_REVIEW)
    def cs_pass(self):
        pass

    @transition(field=status, source=Status.CS_REVIEW, target=Status.CS_REJECTED)
    def cs_reject(self):
        pass

    @transition(field=status, source=Status.CS_REJECTED, target=Status.LR_REJECTED)
    def arbitrate_uphold(self):
        pass

    @transition(field=status, source=Status.CS_REJECTED, target=Status.LR_REVIEW)
    def arbitrate_overturn(self):
        pass

    @transition(field=status, source=Status.LR_REVIEW, target=Status.READY)
    def lr_pass(self):
        pass

    @transition(field=status, source=[Status.LR_REVIEW, Status.PENDING_PLAN, Status.REDISPATCH],
                target=Status.LR_REJECTED)
    def lr_reject(self):
        pass

    @transition(field=status, source=[Status.CS_REVIEW, Status.LR_REVIEW, Status.PENDING_PLAN],
                target=Status.SUPPLEMENT)
    def ask_supplement(self):
        pass

    @transition(field=status, source=Status.SUPPLEMENT, target=RETURN_VALUE(Status.CS_REVIEW, Status.LR_REVIEW))
    def resubmit(self):
        return self.supplement_return_to

    @transition(field=status, source=Status.LR_REVIEW, target=Status.PENDING_PLAN)
    def park(self):
        pass

    @transition(field=status, source=Status.PENDING_PLAN, target=Status.LR_REVIEW)
    def resume(self):
        pass

    @transition(field=status, source=BEFORE_DISPATCH, target=Status.WITHDRAWN)
    def withdraw(self):
        pass

    # -- dispatch (apps.dispatch.services drives these) --
    @transition(field=status, source=[Status.READY, Status.REDISPATCH], target=Status.DISPATCHING)
    def dispatch_start(self):
        pass

    @transition(field=status, source=Status.DISPATCHING, target=Status.AWAITING_CHOICE)
    def dispatch_accepted(self):
        pass

    @transition(field=status, source=[Status.DISPATCHING, Status.AWAITING_CHOICE], target=Status.REDISPATCH)
    def dispatch_fail(self):
        pass

    @transition(field=status, source=Status.AWAITING_CHOICE, target=Status.IN_INSTITUTION)
    def client_choose(self):
        pass

    # -- the institution's case work and settlement (apps.cases, apps.settlement) --
    @transition(field=status, source=Status.IN_INSTITUTION, target=Status.LR_REVIEW)
    def back_to_review(self):
        """能否操作：否 — 回到待审: 贷审 asks for a supplement, re-reviews, dispatches again or rejects."""
    @transition(field=status, source=Status.IN_INSTITUTION, target=Status.DISBURSED)
    def disburse(self):
        pass

    @transition(field=status, source=Status.DISBURSED, target=Status.SETTLING)
    def settle(self):
        pass

    @transition(field=status, source=Status.SETTLING, target=Status.RATING)
    def to_rating(self):
        pass

    @transition(field=status, source=Status.RATING, target=Status.COMPLETED)
    def complete(self):
        pass


class StatusChange(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="history")
    from_status = models.CharField(_("原状态"), max_length=20, choices=Status.choices, blank=True)
    to_status = models.CharField(_("新状态"), max_length=20, choices=Status.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    comment = models.CharField(_("说明"), max_length=500, blank=True)
    at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        ordering = ["id"]


class Document(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="documents")
    name = models.CharField(_("资料名称"), max_length=100)
    path = models.CharField(max_length=200)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        ordering = ["id"]


class DailySequence(models.Model):
    """The last order number of a day; locked to hand out the next one without gaps."""

    day = models.DateField(primary_key=True)
    last = models.PositiveIntegerField(default=0)


class StatusTally(models.Model):
    """How many applications each (organisation, CM, status, manual-intervention) key holds, kept by database
    triggers on ``applications_application`` so that queue badges and list totals never count the big table.

    The triggers only ever INSERT delta rows (+k / −k per key and statement): transitions never wait on a
    shared counter row and cannot deadlock on one. A key's count is the SUM of its rows;
    ``services.tally_compact`` (beat, every minute) folds the deltas into one row per key in one statement.
    The field names are Application's, so a queue's ``Q`` and the data-scope filter apply to both."""

    KEY_COLUMNS = "organization_id, cm_id, status, manual_intervention"  # a key, in SQL (as migration 0003)

    organization = models.ForeignKey("accounts.Organization", on_delete=models.DO_NOTHING, related_name="+",
                                     db_constraint=False)
    cm = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, related_name="+",
                           db_constraint=False)
    status = models.CharField(max_length=20, choices=Status.choices)
    manual_intervention = models.BooleanField()
    n = models.BigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["status", "organization"], name="tally_status_org")]


class Handover(models.Model):
    """A customer manager asks for a client another CM registered (客户移交): the owning CM or their team leader
    (客户组长) approves or declines. Approved, the client and their open applications move to the requester;
    closed applications stay with the CM who handled them. The row is the record of who asked, who decided, when."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待审批")
        APPROVED = "approved", _("已同意")
        DECLINED = "declined", _("已拒绝")

    TONES = {"pending": "warning", "approved": "success", "declined": "secondary"}

    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="+", verbose_name=_("客户"))
    from_cm = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("原客户经理"))
    to_cm = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("申请人"))
    reason = models.CharField(_("申请理由"), max_length=300)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_at = models.DateTimeField(_("申请时间"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("审批人"))
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_note = models.CharField(_("审批意见"), max_length=300, blank=True)
    applications_moved = models.PositiveIntegerField(_("随客户移交的申请数"), default=0)

    class Meta:
        verbose_name = _("客户移交")
        verbose_name_plural = _("客户移交")
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["member", "to_cm"], condition=Q(status="pending"),
                                               name="one_pending_handover_per_requester")]
        permissions = [("request_handover", _("申请移交其他客户经理的客户")),
                       ("decide_handover", _("审批客户移交"))]

    @property
    def tone(self) -> str:
        return self.TONES.get(self.status, "primary")
