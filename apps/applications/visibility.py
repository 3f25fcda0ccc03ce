"""Who sees the settlement steps of an application (issue 16 §8). The seed marks the settlement statuses
"此状态可见角色：客户经理，跟单经理，贷审经理，结算员": those roles (and 跟单员, who acts on them) hold
``applications.view_settlement_status`` and see 已放款 / 结算中 / 待评价 and the settlement entries of the history;
everyone else who may see the application sees only that it is 结算中 — on the detail page, in lists and in
the status filter. 已完成 is visible to all ("所有角色可见")."""
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .models import STATUS_TONES, Status

SETTLEMENT_STEPS = (Status.DISBURSED, Status.SETTLING, Status.RATING)
IN_SETTLEMENT = _("结算中")
CODE = "applications.view_settlement_status"


def sees_settlement_steps(user) -> bool:
    return user.has_perm(CODE)


def status_label(status: str, *, steps: bool) -> tuple[str, str]:
    """(label, badge tone) of ``status`` for someone who does (``steps``) or does not see the settlement steps."""
    if not steps and status in SETTLEMENT_STEPS:
        return IN_SETTLEMENT, "info"
    return Status(status).label if status else "", STATUS_TONES.get(status, "primary")


def history_for(entries, *, steps: bool) -> list:
    """The status history as this viewer may read it: entries get ``from_label``/``to_label``; for someone who
    does not see the settlement steps, moves inside settlement are left out and their comments (amounts,
    statement, payment) are not shown."""
    out = []
    for h in entries:
        inside_from, inside_to = h.from_status in SETTLEMENT_STEPS, h.to_status in SETTLEMENT_STEPS
        if not steps and inside_from and inside_to:
            continue
        h.from_label = status_label(h.from_status, steps=steps)[0]
        h.to_label = status_label(h.to_status, steps=steps)[0]
        if not steps and (inside_to or inside_from):
            h.comment = ""
        out.append(h)
    return out


def status_choices(*, steps: bool) -> list[tuple[str, str]]:
    """The status filter's options: one 结算中 in place of the settlement steps for those who do not see them."""
    if steps:
        return list(Status.choices)
    return [(code, IN_SETTLEMENT if code == Status.SETTLING else label) for code, label in Status.choices
            if code not in SETTLEMENT_STEPS or code == Status.SETTLING]


def status_filter(status: str, *, steps: bool) -> Q:
    if not steps and status == Status.SETTLING:
        return Q(status__in=SETTLEMENT_STEPS)
    return Q(status=status)
