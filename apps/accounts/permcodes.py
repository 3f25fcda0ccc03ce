"""Permission codes as 数银's administrators see them (权限编码信息维护): a Chinese name for every code, the module
(group) it belongs to, which menus and roles use it, and the writes on the ``PermissionCode`` rows (rename,
describe, disable, add a link-only code, delete one no view checks).

A disabled code grants nothing: ``backends.RoleBackend`` leaves it out of every user's codes, so ``has_perm``,
``area_view`` and the menus refuse it alike. Every write here saves a ``PermissionCode`` row, whose signal moves
the rights cache's generation (``signals``), so the change takes effect at the next request everywhere."""
import functools
import re

from django.apps import apps as django_apps
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .models import Menu, PermissionCode, Role

ACTION_LABELS = {"add": "新增", "change": "修改", "delete": "删除", "view": "查看"}

# Models that have no Chinese verbose_name (internal tables and third-party apps): the name used in the labels of
# their default add/change/delete/view codes.
MODEL_LABELS = {
    "api.apikey": "接口密钥", "api.idempotencyrecord": "接口幂等记录",
    "webhooks.endpoint": "回调推送地址", "webhooks.delivery": "回调推送记录", "webhooks.attempt": "回调推送尝试",
    "webhooks.emitted": "回调事件记录",
    "applications.dailysequence": "申请单号序列", "applications.document": "申请材料",
    "applications.statuschange": "申请状态记录", "applications.statustally": "申请状态计数",
    "axes.accessattempt": "登录尝试", "axes.accessattemptexpiration": "登录尝试有效期",
    "axes.accessfailurelog": "登录失败记录", "axes.accesslog": "登录访问记录",
    "cases.caselog": "业务办理记录", "complaints.attachment": "投诉附件", "complaints.complaintlog": "投诉处理记录",
    "complaints.dailynumber": "投诉编号序列", "dispatch.event": "派发事件", "dispatch.lostcase": "流失单",
    "dispatch.profileproduct": "派发产品", "dispatch.round": "派发轮次", "dispatch.scoringstate": "派发评分状态",
    "dispatch.servicearea": "服务区域", "dispatch.timer": "派发计时", "guardian.groupobjectpermission": "组对象权限",
    "guardian.userobjectpermission": "用户对象权限", "members.piiaccess": "个人信息查看记录",
    "positions.gatewaypayment": "网关支付记录", "reports.exportjob": "导出任务", "reports.ranking": "区域排名",
    "settlement.agreementlog": "佣金协议记录", "settlement.commissionadjustment": "佣金调整",
    "settlement.followup": "结算跟进", "settlement.rating": "双方评价", "settlement.settlementlog": "结算记录",
}
APP_LABELS = {"axes": "登录防护", "guardian": "对象权限", "auth": "认证", "contenttypes": "内容类型",
              "sessions": "会话", "admin": "管理站点"}
LINK_GROUP = "菜单链接"
_LATIN = re.compile(r"[A-Za-z]")


def _model_label(ct: ContentType) -> str:
    key = f"{ct.app_label}.{ct.model}"
    if key in MODEL_LABELS:
        return MODEL_LABELS[key]
    model = ct.model_class()
    name = str(model._meta.verbose_name) if model else ct.model
    return name


def default_label(perm: Permission) -> str:
    """The Chinese name of a code before anyone renamed it: Django names its default ones 'Can view 机构'."""
    action = perm.codename.split("_", 1)[0]
    if perm.name.startswith("Can ") and action in ACTION_LABELS:
        return f"{ACTION_LABELS[action]}{_model_label(perm.content_type)}"
    return perm.name


def permission_label(perm: Permission, info: PermissionCode | None = None) -> str:
    """The name shown for ``perm``: the administrators' name when they gave one, else the default label."""
    if info is None:
        info = getattr(perm, "code_info", None) if _info_loaded(perm) else None
    return (info.name if info and info.name else "") or default_label(perm)


def _info_loaded(perm) -> bool:
    return "code_info" in perm._state.fields_cache


def group_label(app_label: str) -> str:
    if app_label in APP_LABELS:
        return APP_LABELS[app_label]
    try:
        return str(django_apps.get_app_config(app_label).verbose_name)
    except LookupError:
        return app_label


def code_of(perm: Permission) -> str:
    return f"{perm.content_type.app_label}.{perm.codename}"


@functools.cache
def view_checked_codes() -> dict[str, list[str]]:
    """``{code: [view names]}``: the codes views state through ``area_view`` (the system check reads the same)."""
    from .checks import iter_area_patterns

    found: dict[str, list[str]] = {}
    for namespace, pattern in iter_area_patterns():
        for code in getattr(pattern.callback, "required_perms", ()):
            found.setdefault(code, []).append(f"{namespace}:{pattern.name}")
    return found


def labels_for(codes) -> dict[str, str]:
    """Chinese names of ``codes`` (``app.codename``), one query; a disabled code says so."""
    wanted = set(codes)
    labels = {}
    for perm in Permission.objects.select_related("content_type", "code_info"):
        code = code_of(perm)
        if code in wanted:
            info = getattr(perm, "code_info", None)
            off = info is not None and not info.is_active
            labels[code] = permission_label(perm, info) + (_("（已停用）") if off else "")
    return labels


# ---- reads ----

def permission_code_rows(*, q: str = "", group: str = "", status: str = "") -> list[dict]:
    """Every permission code with its name, group, menus and roles, in three queries whatever the count."""
    perms = list(Permission.objects.select_related("content_type", "code_info")
                 .order_by("content_type__app_label", "codename"))
    menus: dict[str, list[Menu]] = {}
    for menu in Menu.objects.exclude(permission="").only("title", "area", "permission", "code"):
        menus.setdefault(menu.permission, []).append(menu)
    platform_roles: dict[int, list[str]] = {}
    institution_roles: dict[int, int] = {}
    for perm_id, name, org_id in Role.permissions.through.objects.values_list(
            "permission_id", "role__name", "role__organization_id"):
        if org_id is None:
            platform_roles.setdefault(perm_id, []).append(name)
        else:
            institution_roles[perm_id] = institution_roles.get(perm_id, 0) + 1
    checked = view_checked_codes()
    rows = []
    for perm in perms:
        info = getattr(perm, "code_info", None)
        code = code_of(perm)
        row = {
            "perm": perm, "info": info, "code": code, "label": permission_label(perm, info),
            "group": LINK_GROUP if info and info.link_only else group_label(perm.content_type.app_label),
            "menus": menus.get(code, []), "platform_roles": sorted(platform_roles.get(perm.pk, [])),
            "institution_roles": institution_roles.get(perm.pk, 0), "views": checked.get(code, []),
            "active": info is None or info.is_active,
        }
        if q and q.lower() not in code.lower() and q not in row["label"]:
            continue
        if group and row["group"] != group:
            continue
        if status and (status == "active") != row["active"]:
            continue
        rows.append(row)
    return rows


def permission_code_groups() -> list[str]:
    labels = {group_label(c.label) for c in django_apps.get_app_configs() if c.models_module is not None}
    return sorted(labels | {LINK_GROUP})


def disabled_codes() -> set[str]:
    return {f"{a}.{c}" for a, c in PermissionCode.objects.filter(is_active=False).values_list(
        "permission__content_type__app_label", "permission__codename")}


# ---- writes ----

@transaction.atomic
def permission_code_update(*, actor, permission: Permission, name: str, description: str,
                           is_active: bool) -> PermissionCode:
    """Rename, describe, enable or disable a code (the rights cache moves on through the row's signal)."""
    code = f"{permission.content_type.app_label}.{permission.codename}"
    if not is_active and code in {"accounts.access_platform"}:
        raise ValidationError(_("“进入平台管理后台”不能停用：停用后任何管理员都无法再进入后台恢复它。"))
    info, _created = PermissionCode.objects.select_for_update().get_or_create(permission=permission)
    info.name = name.strip()
    info.description = description.strip()
    info.is_active = is_active
    info.save()
    return info


@transaction.atomic
def permission_code_add(*, actor, codename: str, name: str, description: str = "") -> Permission:
    """A code for a menu entry that only links somewhere (a help page): ``accounts.<codename>``."""
    ct = ContentType.objects.get_for_model(Menu)
    if Permission.objects.filter(content_type__app_label="accounts", codename=codename).exists():
        raise ValidationError(_("权限编码 accounts.%(c)s 已存在，请换一个。") % {"c": codename})
    perm = Permission.objects.create(content_type=ct, codename=codename, name=name.strip()[:255])
    PermissionCode.objects.create(permission=perm, name=name.strip(), description=description.strip(),
                                  link_only=True)
    return perm


@transaction.atomic
def permission_code_delete(*, actor, permission: Permission) -> None:
    """Delete a code: refused while a view checks it or a menu names it (either would stop working)."""
    code = f"{permission.content_type.app_label}.{permission.codename}"
    views = view_checked_codes().get(code)
    if views:
        raise ValidationError(_("页面 %(v)s 检查该权限编码，不能删除；可以停用它。") % {"v": "、".join(views[:3])})
    menus = list(Menu.objects.filter(permission=code).values_list("title", flat=True)[:3])
    if menus:
        raise ValidationError(_("菜单“%(m)s”使用该权限编码，请先修改这些菜单。") % {"m": "、".join(menus)})
    Permission.objects.filter(pk=permission.pk).delete()
