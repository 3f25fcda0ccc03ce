"""Complaints and feedback (投诉反馈通道, domain.md §8). Every open step has an owner (a person, or a role
when no one person is responsible) and a deadline; a step is identified by ``step_no`` so that its
reminders fire once per step."""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from apps.common.models import TimeStampedModel
from apps.common.money import MoneyField


class Complaint(TimeStampedModel):
    class Status(models.TextChoices):
        SCREENING = "screening", _("受理审核")
        SUGGESTION = "suggestion", _("建议")
        NOT_ACCEPTED = "not_accepted", _("不予受理")
        INVESTIGATING = "investigating", _("核查中")
        CONFIRMING = "confirming", _("处罚确认")
        FINAL_REVIEW = "final_review", _("终审")
        INSTITUTION_HANDLING = "institution_handling", _("机构处理中")
        PLATFORM_CONFIRMING = "platform_confirming", _("数银确认")
        CLOSED = "closed", _("已完成")

    class Source(models.TextChoices):
        CLIENT = "client", _("客户（由数银员工代为登记）")
        INSTITUTION = "institution", _("合作机构")
        STAFF = "staff", _("数银员工")

    class Responsible(models.TextChoices):
        CM = "cm", _("客户经理")
        OF = "of", _("跟单")
        LR = "lr", _("贷审")
        CHANNEL = "channel", _("渠道")
        INSTITUTION = "institution", _("合作机构")

    FINAL = [Status.SUGGESTION, Status.NOT_ACCEPTED, Status.CLOSED]
    TONES = {"screening": "warning", "suggestion": "info", "not_accepted": "secondary", "closed": "success",
             "confirming": "danger", "institution_handling": "primary"}
    # who reviews an accepted complaint, by who is responsible
    REVIEWER_ROLE = {Responsible.CM: "cm_leader", Responsible.OF: "business_dept", Responsible.LR: "lr_supervisor",
                     Responsible.CHANNEL: "of"}

    number = models.CharField(_("投诉单号"), max_length=20, unique=True)
    subject = models.CharField(_("投诉主题"), max_length=100)
    content = models.TextField(_("投诉内容"), max_length=3000)
    contact_person = models.CharField(_("联系人"), max_length=50)
    contact_phone = models.CharField(_("联系方式"), max_length=30)
    source = models.CharField(_("来源"), max_length=12, choices=Source.choices)
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("登记人"))
    filing_institution = models.ForeignKey("accounts.Organization", null=True, blank=True, on_delete=models.PROTECT,
                                           related_name="+", verbose_name=_("投诉机构"))
    application = models.ForeignKey("applications.Application", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("相关贷款申请"))
    status = FSMField(_("状态"), default=Status.SCREENING, choices=Status.choices, db_index=True)
    responsible_kind = models.CharField(_("责任方"), max_length=12, choices=Responsible.choices, blank=True)
    responsible_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                         related_name="+", verbose_name=_("责任人"))
    institution = models.ForeignKey("accounts.Organization", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("被投诉机构"))
    forwarded_to = models.CharField(_("转交部门"), max_length=50, blank=True)
    # a suggestion goes to a department: a 数银 role or an organisation unit (its members and sub-units' members),
    # one of whom marks it handled
    forwarded_role = models.CharField(_("转交角色"), max_length=30, blank=True)
    forwarded_unit = models.ForeignKey("accounts.Organization", null=True, blank=True, on_delete=models.PROTECT,
                                       related_name="+", verbose_name=_("转交部门"))
    suggestion_handled_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                              on_delete=models.PROTECT, related_name="+", verbose_name=_("建议处理人"))
    suggestion_handled_at = models.DateTimeField(_("建议处理时间"), null=True, blank=True)
    suggestion_handling = models.CharField(_("建议处理情况"), max_length=500, blank=True)
    holds = models.BooleanField(_("投诉是否成立"), null=True)
    holds_reason = models.TextField(_("成立/不成立的理由"), max_length=1000, blank=True)
    decision = models.CharField(_("处理决定"), max_length=500, blank=True)
    penalty = models.CharField(_("处罚"), max_length=300, blank=True)
    penalty_amount = MoneyField(_("罚款金额"), null=True, blank=True)
    penalty_approval = models.ForeignKey("positions.Approval", null=True, blank=True, on_delete=models.PROTECT,
                                         related_name="+")
    responsible_confirmed_at = models.DateTimeField(_("责任人确认时间"), null=True, blank=True)
    superior_confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                              on_delete=models.PROTECT, related_name="+")
    superior_confirmed_at = models.DateTimeField(_("上级确认时间"), null=True, blank=True)
    institution_agreement = models.TextField(_("与客户达成的处理结果"), max_length=2000, blank=True)
    institution_internal = models.TextField(_("机构内部处理情况"), max_length=2000, blank=True)
    reply = models.TextField(_("答复内容"), max_length=2000, blank=True)
    closed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    # the current step: owner, deadline, reminders
    step_no = models.PositiveIntegerField(default=1)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+", verbose_name=_("当前处理人"))
    owner_role = models.CharField(_("当前处理角色"), max_length=30, blank=True)
    owner_institution = models.ForeignKey("accounts.Organization", null=True, blank=True, on_delete=models.PROTECT,
                                          related_name="+")
    due_at = models.DateTimeField(_("本步骤期限"), null=True, blank=True)
    reminder_level = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("投诉")
        verbose_name_plural = _("投诉")
        ordering = ["-id"]
        indexes = [models.Index(fields=["due_at"], condition=~Q(status__in=["suggestion", "not_accepted", "closed"]),
                                name="complaint_open_due"),
                   models.Index(fields=["filing_institution", "-id"]), models.Index(fields=["institution", "-id"])]
        permissions = [
            ("file_complaint", _("发起投诉")),
            ("handle_complaint", _("投诉处理中心（受理、终审、答复）")),
            ("review_complaint", _("责任部门核查投诉")),
            ("handle_institution_complaint", _("机构处理投诉")),
            ("view_all_complaints", _("查看全部投诉")),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def tone(self) -> str:
        return self.TONES.get(self.status, "primary")

    @property
    def is_open(self) -> bool:
        return self.status not in self.FINAL

    @transition(field=status, source=Status.SCREENING, target=Status.SUGGESTION)
    def to_suggestion(self):
        pass

    @transition(field=status, source=Status.SCREENING, target=Status.NOT_ACCEPTED)
    def not_accept(self):
        pass

    @transition(field=status, source=Status.SCREENING, target=Status.INVESTIGATING)
    def accept_internal(self):
        pass

    @transition(field=status, source=Status.SCREENING, target=Status.INSTITUTION_HANDLING)
    def accept_institution(self):
        pass

    @transition(field=status, source=Status.INVESTIGATING, target=Status.CONFIRMING)
    def to_confirming(self):
        pass

    @transition(field=status, source=[Status.INVESTIGATING, Status.CONFIRMING], target=Status.FINAL_REVIEW)
    def to_final_review(self):
        pass

    @transition(field=status, source=Status.INSTITUTION_HANDLING, target=Status.PLATFORM_CONFIRMING)
    def institution_report(self):
        pass

    @transition(field=status, source=Status.PLATFORM_CONFIRMING, target=Status.INSTITUTION_HANDLING)
    def send_back(self):
        pass

    @transition(field=status, source=[Status.FINAL_REVIEW, Status.PLATFORM_CONFIRMING], target=Status.CLOSED)
    def close(self):
        pass


class Attachment(models.Model):
    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="attachments")
    name = models.CharField(_("附件名称"), max_length=100)
    path = models.CharField(max_length=200)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)


class ComplaintLog(models.Model):
    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="log")
    at = models.DateTimeField(_("时间"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    from_status = models.CharField(max_length=24, blank=True)
    to_status = models.CharField(max_length=24, blank=True)
    text = models.CharField(_("说明"), max_length=500)

    class Meta:
        ordering = ["id"]


class DailyNumber(models.Model):
    day = models.DateField(primary_key=True)
    last = models.PositiveIntegerField(default=0)
