"""The reports that can be viewed and exported: their rows (always scoped to the requesting user through
the owning app's selectors), filters and columns. An export job stores the report code and the filter
values; the Celery task rebuilds the queryset for the requester, so a job can never see more than the
person who asked could see on screen."""
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Callable

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Q, QuerySet
from django.utils import timezone

from apps.common.validators import mask_mobile


def mask_name(name: str) -> str:
    """张三丰 → 张**: institutions see a client's surname only until the case is theirs."""
    return (name[:1] + "*" * max(len(name) - 1, 1)) if name else ""


def _local(value):
    if isinstance(value, datetime):
        return timezone.localtime(value).replace(tzinfo=None)
    return value


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable
    width: int = 14
    money: bool = False


@dataclass(frozen=True)
class Report:
    code: str
    title: str
    area: str  # ops | inst
    perm: str
    rows: Callable[..., QuerySet]  # rows(user) → scoped queryset
    date_field: str
    columns: list[Column] = field(default_factory=list)
    status_choices: tuple = ()
    filters: dict = field(default_factory=dict)  # param name → ORM lookup

    def queryset(self, user, params: dict) -> QuerySet:
        """The rows for ``user`` with the filter values of a report form (or of a stored export job)."""
        qs = self.rows(user)
        if params.get("date_from"):
            qs = qs.filter(**{f"{self.date_field}__date__gte": date.fromisoformat(params["date_from"])})
        if params.get("date_to"):
            qs = qs.filter(**{f"{self.date_field}__date__lte": date.fromisoformat(params["date_to"])})
        for name, lookup in self.filters.items():
            if params.get(name) not in (None, ""):
                qs = qs.filter(**{lookup: params[name]})
        if params.get("order_no"):
            qs = qs.filter(Q(**{self.filters.get("order_no", "order_no"): str(params["order_no"]).strip().upper()}))
        return qs.order_by("pk")

    def values(self, obj) -> list:
        return [_local(c.value(obj)) for c in self.columns]


def _ops_rows(user):
    """The applications this user may see, each with ``shown_status``: its status, or 结算中 for the settlement
    steps when the user may not see them (apps.applications.visibility); the status filter and column use it."""
    from django.db.models import Case, CharField, F, Value, When

    from apps.applications.selectors import application_list_for_user
    from apps.applications.visibility import SETTLEMENT_STEPS, sees_settlement_steps

    shown = F("status") if sees_settlement_steps(user) else Case(
        When(status__in=SETTLEMENT_STEPS, then=Value("settling")), default=F("status"), output_field=CharField())
    return (application_list_for_user(user=user).select_related("member", "product", "region", "cm")
            .annotate(shown_status=shown))


def _inst_rows(user):
    from apps.dispatch.selectors import offers_for_user

    return offers_for_user(user=user).select_related("case__officer")


def _case_officer(cand) -> str:
    """The institution's own 客户经理 for the case: the officer it was allocated to (none before allocation)."""
    try:
        officer = cand.case.officer
    except ObjectDoesNotExist:
        return ""
    return officer.display_name if officer else ""


def _case_amount(cand):
    try:
        return cand.case.disbursed_amount
    except ObjectDoesNotExist:
        return None


def _ops_columns():
    return [
        Column("单号", lambda a: a.order_no, 18),
        Column("客户", lambda a: a.member.real_name, 10),
        Column("手机号", lambda a: mask_mobile(a.member.mobile), 14),
        Column("产品", lambda a: a.product.name, 16),
        Column("申请金额（元）", lambda a: a.amount, 14, money=True),
        Column("期限（月）", lambda a: a.term_months, 8),
        Column("地区", lambda a: a.region.name, 12),
        Column("状态", lambda a: _app_status_label(a.shown_status), 16),
        Column("客户经理", lambda a: a.cm.display_name, 10),
        Column("提交时间", lambda a: a.submitted_at, 18),
    ]


def _inst_columns():
    return [
        Column("单号", lambda c: c.application.order_no, 18),
        Column("客户", lambda c: c.application.member.real_name if c.shows_client
               else mask_name(c.application.member.real_name), 10),
        Column("产品", lambda c: c.application.product.name, 16),
        Column("申请金额（元）", lambda c: c.application.amount, 14, money=True),
        Column("地区", lambda c: c.application.region.name, 12),
        Column("派单时间", lambda c: c.offered_at, 18),
        Column("答复状态", lambda c: c.get_status_display(), 12),
        Column("客户经理", _case_officer, 10),
        Column("放款金额（元）", _case_amount, 14, money=True),
    ]


def _app_status_label(code: str) -> str:
    from apps.applications.models import Status

    return str(Status(code).label)


def _status_choices(model_path: str):
    from django.apps import apps

    model = apps.get_model(model_path)
    return tuple(model._meta.get_field("status").choices)


REPORTS: dict[str, Report] = {}


def register(report: Report) -> Report:
    REPORTS[report.code] = report
    return report


def build() -> None:
    if REPORTS:
        return
    register(Report("applications", "贷款申请明细", "ops", "applications.view_application", _ops_rows, "submitted_at",
                    _ops_columns(), _status_choices("applications.Application"),
                    {"product": "product_id", "status": "shown_status", "cm": "cm_id", "order_no": "order_no"}))
    register(Report("inst_cases", "派单与放款明细", "inst", "dispatch.view_case", _inst_rows, "offered_at",
                    _inst_columns(), _status_choices("dispatch.Candidate"),
                    {"product": "application__product_id", "status": "status", "cm": "case__officer_id",
                     "order_no": "application__order_no"}))


def report_for_area(area: str) -> Report:
    build()
    return next(r for r in REPORTS.values() if r.area == area)


def get(code: str) -> Report:
    build()
    return REPORTS[code]
