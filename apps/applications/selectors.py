from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404

from apps.accounts.selectors import scope_queryset
from apps.common import pagecache

from .models import Application, Status, StatusTally

QUEUES = {
    # name: (title, permission code, filter)
    "mine": ("我的申请", "applications.submit_application", Q()),
    "team": ("团队申请", "applications.view_team", Q()),
    "cs": ("客服审核", "applications.review_cs", Q(status=Status.CS_REVIEW)),
    "lr": ("贷审审核", "applications.review_lr", Q(status__in=[Status.LR_REVIEW, Status.PENDING_PLAN])),
    # 客服拒绝 waits for 贷审's arbitration ("是否合理"): its own queue, counted in the top bar
    "arbitration": ("待仲裁", "applications.arbitrate", Q(status=Status.CS_REJECTED)),
    "supervisor": ("主管队列", "applications.supervise_review",
                   Q(manual_intervention=True) & ~Q(status__in=["completed", "lr_rejected", "withdrawn"])
                   | Q(status=Status.CS_REJECTED)),
}

# The statuses each queue can hold (its status filter offers only these); None: any status.
_CLOSED = {"completed", "lr_rejected", "withdrawn"}
QUEUE_STATUSES = {
    "mine": None, "team": None,
    "cs": {Status.CS_REVIEW}, "lr": {Status.LR_REVIEW, Status.PENDING_PLAN}, "arbitration": {Status.CS_REJECTED},
    "supervisor": {code for code in Status.values if code not in _CLOSED},
}


def application_list_for_user(*, user) -> QuerySet:
    """Applications the user may see: customer managers their own, team leaders their team's, review
    roles all of 数银's; institutions none (they see cases only through dispatch)."""
    if user.organization is None or user.organization.is_institution:
        return Application.objects.none()
    return scope_queryset(Application.objects.all(), user=user, owner_field="cm")


def application_get_for_user(*, user, pk: int) -> Application:
    qs = application_list_for_user(user=user).select_related("member", "product", "region", "cm")
    return get_object_or_404(qs, pk=pk)


# The columns a queue row shows (templates/applications/queue.html) and sorts by: a 50-row page loads these,
# not the whole rows of five tables.
QUEUE_COLUMNS = ("order_no", "manual_intervention", "amount", "term_months", "status", "submitted_at", "created_at",
                 "member__real_name", "member__mobile", "product__name", "region__name", "cm__real_name",
                 "cm__username")


def queue_for_user(*, user, queue: str) -> QuerySet:
    _title, _perm, condition = QUEUES[queue]
    return (application_list_for_user(user=user).filter(condition)
            .select_related("member", "product", "region", "cm").only(*QUEUE_COLUMNS))


def tally_for_user(*, user) -> QuerySet:
    """The status tally rows (see ``StatusTally``) under the same scope as ``application_list_for_user``."""
    if user.organization is None or user.organization.is_institution:
        return StatusTally.objects.none()
    return scope_queryset(StatusTally.objects.all(), user=user, owner_field="cm")


BADGE_QUEUES = ("cs", "lr", "arbitration", "supervisor")  # the review queues counted in the operations top bar


def tally_sums(*, user, names=tuple(QUEUES)) -> dict[str, int]:
    """How many applications each of the queues ``names`` this user may open holds, in one query over the status
    tally (a few hundred rows, whatever the number of applications). A queue page keeps the result on the request
    (``request.queue_tally``) so that its total and the top bar's badges come from this one query."""
    wanted = {name: QUEUES[name][2] for name in names if user.has_perm(QUEUES[name][1])}
    if not wanted:
        return {}
    return tally_for_user(user=user).aggregate(**{name: Coalesce(Sum("n", filter=cond), 0)
                                                  for name, cond in wanted.items()})


def queue_counts(*, user, sums: dict[str, int] | None = None) -> dict[str, int]:
    """The navigation badges of the review queues this user works: the request's sums when it has them (queue
    pages), else kept until an application changes (generation ``tally``, see ``pages``)."""
    if sums is None:
        sums = pagecache.figure_value(user, "queue-badges", lambda: tally_sums(user=user, names=BADGE_QUEUES))
    return {name: n for name, n in sums.items() if name in BADGE_QUEUES}


pagecache.figure("queue-badges", lambda user: ["tally"])


def application_search(qs: QuerySet, text: str) -> QuerySet:
    text = (text or "").strip()
    if not text:
        return qs
    return qs.filter(Q(order_no=text.upper()) | Q(member__real_name__icontains=text) | Q(member__mobile=text))


def tally_check() -> list[tuple]:
    """Keys where the status tally disagrees with the applications table (empty when they agree); the check the
    tests run after every kind of write, and an operator can run any time."""
    from django.db import connection

    cols = StatusTally.KEY_COLUMNS
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT {cols}, coalesce(t.n, 0), coalesce(a.n, 0) FROM"
            f" (SELECT {cols}, sum(n) AS n FROM applications_statustally GROUP BY {cols}) t"
            f" FULL JOIN (SELECT {cols}, count(*) AS n FROM applications_application GROUP BY {cols}) a"
            f" USING ({cols}) WHERE coalesce(t.n, 0) <> coalesce(a.n, 0)")
        return cur.fetchall()
