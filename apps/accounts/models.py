from django.contrib.auth.models import AbstractUser, Permission, UserManager
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from apps.common.identity import CODE, DIGITS
from apps.common.models import TimeStampedModel

mobile_validator = RegexValidator(r"^1[3-9][0-9]{9}$", _("请输入11位中国大陆手机号，如 13800138000"))


class Area(models.TextChoices):
    """The three web areas. Each has its own login page, base template and menu tree."""

    OPS = "ops", _("数银业务")
    PLATFORM = "platform", _("平台管理后台")
    INST = "inst", _("机构后台")


class DataScope(models.IntegerChoices):
    """How much of the organisation tree a role sees; larger is wider."""

    SELF = 1, _("仅本人")
    UNIT = 2, _("本机构")
    UNIT_AND_BELOW = 3, _("本机构及下级")
    ALL = 4, _("全部")


class Organization(TimeStampedModel):
    """数银 itself or a partner institution. Institutions form trees (下级机构); the root of
    a tree is the legal entity that owns the accounts. ``path`` is a materialised path
    ("/1/7/") so a subtree is one indexed prefix query."""

    class Kind(models.TextChoices):
        PLATFORM = "platform", _("数银")
        INSTITUTION = "institution", _("合作机构")

    code = models.SlugField(_("机构编码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    short_name = models.CharField(_("简称"), max_length=40, blank=True)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices, db_index=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children", verbose_name=_("上级机构")
    )
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, blank=True)
    region = models.ForeignKey(
        "regions.Region", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("所在地区")
    )
    contact_name = models.CharField(_("联系人"), max_length=50, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    head_name = models.CharField(_("负责人/法定代表人"), max_length=50, blank=True)
    head_mobile = models.CharField(_("负责人手机号"), max_length=11, blank=True, validators=[mobile_validator])
    legal_representative = models.CharField(_("法定代表人"), max_length=50, blank=True)
    refund_bank_name = models.CharField(_("退款开户银行"), max_length=100, blank=True)
    refund_account_name = models.CharField(_("退款账户名"), max_length=100, blank=True)
    refund_account_no = models.CharField(_("退款银行账号"), max_length=32, blank=True)
    follower = models.ForeignKey(
        "User", null=True, blank=True, on_delete=models.SET_NULL, related_name="followed_institutions",
        verbose_name=_("跟单经理"), help_text=_("数银负责该机构的跟单经理，显示在机构后台顶部"),
    )
    identity_conflict = models.BooleanField(
        _("信用代码待核对"), default=False, editable=False,
        help_text=_("旧数据中与另一机构的统一社会信用代码相同，保留原值待管理员核对"))

    class Meta:
        verbose_name = _("机构")
        verbose_name_plural = _("机构")
        ordering = ["path"]
        indexes = [models.Index(fields=["path"], name="org_path_prefix", opclasses=["varchar_pattern_ops"])]
        # One institution per credit code, stored in ASCII (apps.common.identity); rows flagged by the
        # normalising migration (codes two institutions already shared) are exempt until resolved.
        constraints = [
            models.UniqueConstraint(fields=["credit_code"], name="organization_credit_code_unique",
                                    condition=~models.Q(credit_code="") & models.Q(identity_conflict=False)),
            models.CheckConstraint(condition=models.Q(credit_code__regex=CODE) | models.Q(identity_conflict=True),
                                   name="organization_credit_code_ascii"),
            models.CheckConstraint(condition=models.Q(head_mobile__regex=DIGITS) | models.Q(identity_conflict=True),
                                   name="organization_head_mobile_ascii"),
        ]
        permissions = [
            ("access_ops", _("进入数银业务区")),
            ("access_platform", _("进入平台管理后台")),
            ("access_inst", _("进入机构后台")),
            ("review_identity_conflicts", _("核对重复的身份证号与信用代码")),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def root_id(self) -> int:
        return int(self.path.strip("/").split("/")[0]) if self.path else self.pk

    @property
    def root_follower(self):
        """The 跟单经理 assigned to this unit's legal entity (the root of its tree)."""
        if self.parent_id is None:
            return self.follower
        return User.objects.filter(followed_institutions__pk=self.root_id).first()

    @property
    def is_institution(self) -> bool:
        return self.kind == self.Kind.INSTITUTION

    @property
    def area(self) -> str:
        return Area.INST if self.is_institution else ""


class Role(TimeStampedModel):
    """A named set of permission codes plus a data scope. 数银's roles have no owner;
    an institution's roles belong to the root of its tree."""

    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="roles", verbose_name=_("所属机构")
    )
    code = models.SlugField(_("角色代码"), max_length=40)
    name = models.CharField(_("角色名称"), max_length=50)
    area = models.CharField(_("区域"), max_length=16, choices=Area.choices)
    data_scope = models.PositiveSmallIntegerField(_("数据范围"), choices=DataScope.choices, default=DataScope.SELF)
    permissions = models.ManyToManyField(Permission, blank=True, related_name="roles", verbose_name=_("权限"))
    description = models.CharField(_("说明"), max_length=200, blank=True)
    is_builtin = models.BooleanField(_("内置"), default=False)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("角色")
        verbose_name_plural = _("角色")
        ordering = ["organization_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "code"], name="role_code_per_org"),
            models.UniqueConstraint(
                fields=["code"], condition=models.Q(organization__isnull=True), name="role_code_platform"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A person who signs in: 数银 staff, a platform administrator or an institution's staff."""

    real_name = models.CharField(_("姓名"), max_length=50)
    mobile = models.CharField(_("手机号"), max_length=11, blank=True, validators=[mobile_validator])
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="users", verbose_name=_("所属机构")
    )
    roles = models.ManyToManyField(Role, blank=True, related_name="users", verbose_name=_("角色"))
    superior = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="subordinates", verbose_name=_("直属上级")
    )
    last_login_ip = models.GenericIPAddressField(_("最后登录IP"), null=True, blank=True)
    previous_login = models.DateTimeField(_("上次登录时间"), null=True, blank=True)
    # Bumped by "force sign-out": sessions that carry an older epoch are ended on their next request.
    session_epoch = models.PositiveIntegerField(default=0, editable=False)

    objects = UserManager()

    REQUIRED_FIELDS = ["email"]

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=models.Q(mobile__regex=DIGITS), name="user_mobile_ascii")]

    def __str__(self) -> str:
        return self.real_name or self.username

    @property
    def display_name(self) -> str:
        return self.real_name or self.username

    def has_perm(self, perm, obj=None):
        # Django answers yes to an active superuser without asking the backends; here a superuser too holds only
        # the codes in force (a code disabled on 权限编码信息维护 grants nothing to anyone).
        if self.is_active and self.is_superuser and obj is None:
            return perm in self.get_all_permissions()
        return super().has_perm(perm, obj)


class Menu(models.Model):
    """The sidebar menu tree of one area. An item names the permission code that opens it;
    a group (no url) is shown when any of its children is."""

    code = models.CharField(_("菜单代码"), max_length=80, unique=True)
    area = models.CharField(_("区域"), max_length=16, choices=Area.choices, db_index=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children", verbose_name=_("上级菜单")
    )
    title = models.CharField(_("名称"), max_length=50)
    url_name = models.CharField(_("路由名"), max_length=100, blank=True)
    permission = models.CharField(_("权限代码"), max_length=100, blank=True)
    icon = models.CharField(_("图标"), max_length=40, blank=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("菜单")
        verbose_name_plural = _("菜单")
        ordering = ["area", "order", "id"]

    def __str__(self) -> str:
        return self.title


class LoginLog(models.Model):
    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="login_logs")
    username = models.CharField(_("账号"), max_length=150)
    area = models.CharField(_("区域"), max_length=16, blank=True)
    ip = models.GenericIPAddressField(_("IP"), null=True, blank=True)
    user_agent = models.CharField(_("浏览器"), max_length=300, blank=True)
    success = models.BooleanField(_("成功"))
    reason = models.CharField(_("说明"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("登录日志")
        verbose_name_plural = _("登录日志")
        ordering = ["-id"]


class InstitutionApplication(TimeStampedModel):
    """An institution's online application to join (机构入驻申请), reviewed by 数银."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待审核")
        APPROVED = "approved", _("已通过")
        REJECTED = "rejected", _("已驳回")

    reference = models.CharField(_("申请编号"), max_length=32, unique=True)
    name = models.CharField(_("机构名称"), max_length=100)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18)
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("所在地区"))
    address = models.CharField(_("地址"), max_length=200)
    contact_name = models.CharField(_("联系人"), max_length=50)
    contact_mobile = models.CharField(_("联系人手机号"), max_length=11, validators=[mobile_validator])
    admin_username = models.CharField(_("管理员账号"), max_length=30)
    licence_file = models.CharField(_("营业执照"), max_length=200)
    status = FSMField(_("状态"), default=Status.PENDING, choices=Status.choices, protected=True)
    reject_reason = models.CharField(_("驳回原因"), max_length=200, blank=True)
    reviewed_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    organization = models.OneToOneField(Organization, null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="join_application")

    class Meta:
        verbose_name = _("机构入驻申请")
        verbose_name_plural = _("机构入驻申请")
        ordering = ["-id"]
        permissions = [("review_institutionapplication", _("审核机构入驻申请"))]
        constraints = [
            models.CheckConstraint(condition=models.Q(credit_code__regex=CODE), name="join_credit_code_ascii"),
            models.CheckConstraint(condition=models.Q(contact_mobile__regex=DIGITS), name="join_mobile_ascii"),
        ]

    @transition(field=status, source=Status.PENDING, target=Status.APPROVED)
    def approve(self):
        pass

    @transition(field=status, source=Status.PENDING, target=Status.REJECTED)
    def reject(self, reason: str):
        self.reject_reason = reason


class RealNameVerification(TimeStampedModel):
    """Real-name verification of an institution's head (负责人) or one of its loan officers,
    submitted by the institution and decided by 数银."""

    class Subject(models.TextChoices):
        HEAD = "head", _("负责人/法定代表人")
        STAFF = "staff", _("信贷员")

    class Status(models.TextChoices):
        PENDING = "pending", _("待审核")
        VERIFIED = "verified", _("已认证")
        REJECTED = "rejected", _("已驳回")

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="verifications",
                                     verbose_name=_("机构"))
    subject = models.CharField(_("认证对象"), max_length=8, choices=Subject.choices)
    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.CASCADE, related_name="verifications",
                             verbose_name=_("员工"))
    real_name = models.CharField(_("姓名"), max_length=50)
    id_number = models.CharField(_("身份证号"), max_length=18)
    id_photo = models.CharField(_("身份证照片"), max_length=200)
    status = FSMField(_("状态"), default=Status.PENDING, choices=Status.choices)
    reason = models.CharField(_("驳回原因"), max_length=200, blank=True)
    submitted_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    reviewed_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("实名认证")
        verbose_name_plural = _("实名认证")
        ordering = ["-id"]
        permissions = [("review_realname", _("审核机构实名认证"))]
        constraints = [
            models.UniqueConstraint(fields=["organization", "subject", "user"], condition=models.Q(status="pending"),
                                    name="one_pending_verification", nulls_distinct=False),
            models.CheckConstraint(condition=models.Q(id_number__regex=CODE), name="verification_id_number_ascii"),
        ]

    @transition(field=status, source=Status.PENDING, target=Status.VERIFIED)
    def verify(self):
        pass

    @transition(field=status, source=Status.PENDING, target=Status.REJECTED)
    def reject(self, reason: str):
        self.reason = reason


class PermissionCode(TimeStampedModel):
    """What 数银's administrators keep about one permission code (权限编码信息维护): its Chinese name and
    description, whether it is in force, and whether it was added here for a menu entry that only links somewhere.
    A disabled code grants nothing to anyone (the permission backend leaves it out)."""

    permission = models.OneToOneField(Permission, on_delete=models.CASCADE, related_name="code_info",
                                      verbose_name=_("权限"))
    name = models.CharField(_("中文名称"), max_length=100, blank=True)
    description = models.CharField(_("说明"), max_length=300, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    link_only = models.BooleanField(_("仅用于菜单链接"), default=False)

    class Meta:
        verbose_name = _("权限编码")
        verbose_name_plural = _("权限编码")


class InstitutionMenu(models.Model):
    """One institution's arrangement of its own back-office menu (机构后台 一.3 菜单管理): a 数银 menu entry
    renamed, moved into another group, reordered, hidden or bound to a further permission code that 数银 allows
    institutions (``menu`` set), or a group of the institution's own (``menu`` empty). Rows belong to the root of
    the institution's tree and change nothing for any other institution; none at all means 数银's default. The
    entry's own code (``Menu.permission``, the one its page checks) always applies as well."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="menu_entries",
                                     verbose_name=_("机构"))
    menu = models.ForeignKey(Menu, null=True, blank=True, on_delete=models.CASCADE, related_name="+",
                             verbose_name=_("数银菜单"))
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                               verbose_name=_("所属分组"))
    title = models.CharField(_("名称"), max_length=20)
    icon = models.CharField(_("图标"), max_length=40, blank=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    is_hidden = models.BooleanField(_("隐藏"), default=False)
    permission = models.CharField(_("附加权限编码"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("机构菜单")
        verbose_name_plural = _("机构菜单")
        ordering = ["organization_id", "order", "id"]
        permissions = [("arrange_inst_menu", _("机构菜单管理"))]
        constraints = [models.UniqueConstraint(fields=["organization", "menu"], condition=models.Q(menu__isnull=False),
                                               name="inst_menu_once")]

    def __str__(self) -> str:
        return self.title


class InstitutionDetailChange(TimeStampedModel):
    """One change of an institution's details (机构后台 二.4 资料修改), kept as history: contacts, address, the
    head's mobile and the refund account apply at once (``applied``); the legal fields — name, unified social
    credit code, legal representative — wait for 数银's review (``pending`` → ``approved`` / ``rejected``).
    ``before`` and ``after`` hold the changed fields only, as shown to people."""

    class Status(models.TextChoices):
        APPLIED = "applied", _("已生效")
        PENDING = "pending", _("待数银审核")
        APPROVED = "approved", _("审核通过")
        REJECTED = "rejected", _("已驳回")

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="detail_changes",
                                     verbose_name=_("机构"))
    status = FSMField(_("状态"), max_length=16, choices=Status.choices, default=Status.APPLIED)
    before = models.JSONField(_("修改前"), default=dict)
    after = models.JSONField(_("修改后"), default=dict)
    requested_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+",
                                     verbose_name=_("提交人"))
    decided_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("审核人"))
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    reason = models.CharField(_("审核意见"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("机构资料变更")
        verbose_name_plural = _("机构资料变更")
        ordering = ["-id"]
        permissions = [("review_detail_change", _("审核机构主体信息变更"))]
        constraints = [models.UniqueConstraint(fields=["organization"], condition=models.Q(status="pending"),
                                               name="one_pending_detail_change")]

    @transition(field=status, source=Status.PENDING, target=Status.APPROVED)
    def approve(self):
        pass

    @transition(field=status, source=Status.PENDING, target=Status.REJECTED)
    def reject(self, reason: str):
        self.reason = reason
