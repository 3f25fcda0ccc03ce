"""What an operation-log row says in plain Chinese (系统模块, 操作类型, 对象, 成功/失败), decided once when the row is
written (``OperationLogMiddleware``) so that the log page can filter on it.

The module is the Chinese name of the app whose view answered; the action and the object's noun come from the
table below, keyed by URL name (the same name in two areas does the same kind of thing); the object adds the id
the URL named. A URL name missing here still reads as Chinese: its action from its last word, its noun from its
module."""
from django.apps import apps as django_apps

# URL name -> (操作类型, 对象)
ACTIONS = {
    "login": ("登录", "账号"), "logout": ("退出", "账号"), "activate": ("启用", "账号激活"),
    "my_profile": ("修改", "个人资料"), "set_language": ("修改", "界面语言"), "join": ("提交", "机构入驻申请"),
    "pay_local": ("支付", "在线充值"), "pay_notify_local": ("确认", "支付通知"),
    "pay_notify_alipay": ("确认", "支付宝支付通知"), "pay_notify_wechat": ("确认", "微信支付通知"),
    "recharge_pay": ("支付", "在线充值"),
    "recharge_decide": ("审核", "线下充值"), "approval_decide": ("审核", "调账审批"),
    "recharge_new": ("新增", "充值"), "recharge_return": ("确认", "在线充值"), "finance_transfer": ("新增", "账户划转"),
    "member_create": ("新增", "会员"), "member_decide": ("审核", "会员实名认证"),
    "dispatch_candidate_add": ("新增", "派发机构"), "dispatch_window_extend": ("修改", "派发时限"),
    "dispatch_round_close": ("修改", "派发轮次"), "redispatch": ("派发", "贷款申请"),
    "dispatch_choice": ("确认", "客户选择"),
    "application_create": ("新增", "贷款申请"), "application_act": ("审核", "贷款申请"),
    "application_supplement": ("审核", "补充资料"), "application_arbitrate": ("审核", "客服驳回仲裁"),
    "document_upload": ("上传", "申请材料"),
    "settlement_confirm_amount": ("确认", "结算金额"), "settlement_confirm_client": ("确认", "客户到账"),
    "settlement_receipt": ("确认", "结算收款"), "settlement_release": ("确认", "恢复头寸"),
    "settlement_rate": ("评价", "结算单"), "settlement_pay_cash": ("支付", "结算单"),
    "settlement_pay_offline": ("支付", "结算单"), "follow_up_done": ("确认", "跟单联系任务"),
    "complaint_new": ("新增", "投诉"), "complaint_screen": ("审核", "投诉"), "complaint_decide": ("审核", "投诉"),
    "complaint_confirm_penalty": ("确认", "投诉处罚"), "complaint_final_review": ("审核", "投诉"),
    "complaint_platform_confirm": ("审核", "机构投诉反馈"), "complaint_report": ("提交", "投诉反馈"),
    "export_create": ("导出", "报表"), "message_mark_all_read": ("修改", "站内信"),
    "organization_detail": ("修改", "机构"), "institution_edit": ("修改", "机构"),
    "institution_create": ("新增", "机构"), "institution_toggle": ("启用/停用", "机构"),
    "institution_profile": ("提交", "机构信息"), "verification_decide": ("审核", "实名认证"),
    "application_detail": ("审核", "机构入驻申请"),
    "user_create": ("新增", "员工账号"), "staff_create": ("新增", "员工账号"),
    "user_edit": ("修改", "员工账号"), "staff_edit": ("修改", "员工账号"),
    "user_toggle": ("启用/停用", "员工账号"), "staff_toggle": ("启用/停用", "员工账号"),
    "user_password": ("重置密码", "员工账号"), "staff_password": ("重置密码", "员工账号"),
    "user_force_logout": ("强制下线", "员工账号"), "staff_force_logout": ("强制下线", "员工账号"),
    "role_create": ("新增", "角色"), "role_edit": ("修改", "角色"),
    "unit_create": ("新增", "下级机构"), "unit_edit": ("修改", "下级机构"), "unit_delete": ("删除", "下级机构"),
    "product_create": ("新增", "贷款产品"), "product_edit": ("修改", "贷款产品"),
    "profile_edit": ("修改", "派发参数"), "dispatch_profile_edit": ("修改", "派发参数"),
    "category_request_new": ("提交", "业务类别变更"), "category_request_decide": ("审核", "业务类别变更"),
    "cluster_create": ("新增", "派发集群"), "cluster_edit": ("修改", "派发集群"), "cluster_delete": ("删除", "派发集群"),
    "param_edit": ("修改", "系统参数"), "broadcast": ("发送", "公告"),
    "menu_create": ("新增", "菜单"), "menu_edit": ("修改", "菜单"), "menu_delete": ("删除", "菜单"),
    "permission_code_create": ("新增", "权限编码"), "permission_code_edit": ("修改", "权限编码"),
    "permission_code_delete": ("删除", "权限编码"),
    "region_create": ("新增", "区域"), "region_edit": ("修改", "区域"), "region_retire": ("停用", "区域"),
    "offer_accept": ("受理", "派发单"), "offer_decline": ("拒绝", "派发单"),
    "case_allocate": ("分配", "业务"), "case_review": ("审核", "业务"), "case_book_signing": ("新增", "面签预约"),
    "case_record_signing": ("确认", "面签"), "case_disburse": ("确认", "放款"), "case_cannot_lend": ("确认", "无法放款"),
}
# the last word of a URL name -> 操作类型 (names not in the table)
VERBS = {"create": "新增", "new": "新增", "add": "新增", "edit": "修改", "update": "修改", "delete": "删除",
         "remove": "删除", "decide": "审核", "review": "审核", "approve": "审核", "export": "导出",
         "toggle": "启用/停用", "upload": "上传", "confirm": "确认", "accept": "受理", "decline": "拒绝"}
OTHER = "其他"
ACTION_CHOICES = sorted({a for a, _n in ACTIONS.values()} | set(VERBS.values()) | {OTHER})
ID_KWARGS = ("pk", "app_pk", "member_pk", "doc_pk")


def module_of(func) -> str:
    """The Chinese name of the app a view belongs to."""
    module = getattr(func, "__module__", "") or ""
    config = django_apps.get_containing_app_config(module)
    return str(config.verbose_name) if config else ""


def module_choices() -> list[str]:
    return sorted(str(c.verbose_name) for c in django_apps.get_app_configs() if c.name.startswith("apps."))


def describe(*, url_name: str, func, kwargs: dict) -> tuple[str, str, str]:
    """(系统模块, 操作类型, 对象) of a request to ``url_name`` answered by ``func`` with ``kwargs``."""
    module = module_of(func)
    action, noun = ACTIONS.get(url_name, (None, None))
    if action is None:
        action = VERBS.get((url_name or "").rsplit("_", 1)[-1], OTHER)
        noun = module
    ident = next((kwargs[k] for k in ID_KWARGS if k in kwargs), None)
    if ident is None and "key" in kwargs:
        ident = kwargs["key"]
    target = f"{noun} {ident if isinstance(ident, str) else f'#{ident}'}" if ident is not None else noun
    return module[:40], action[:20], target[:200]


def succeeded(*, status_code: int, content_type: str, htmx: bool) -> bool:
    """成功 or 失败 as the person saw it: a redirect or a file is success; a form page drawn again (200 HTML to a
    POST) means the form was refused; 4xx/5xx are failures. htmx fragments answer 200 on success."""
    if status_code >= 400:
        return False
    if 300 <= status_code < 400 or htmx:
        return True
    return not content_type.startswith("text/html")
