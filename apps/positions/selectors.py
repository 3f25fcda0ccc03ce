from decimal import Decimal

from django.db import connection
from django.db.models import QuerySet

from apps.accounts.models import Organization
from apps.accounts.selectors import scope_queryset
from apps.common.money import ZERO
from apps.common.params import param_get

from .models import Account, Approval, JournalLine, Recharge


def institution_finance_summary(org: Organization) -> dict:
    """Position, risk margin and cash of an institution (one query), for the back-office header."""
    balances = {a["kind"]: a for a in Account.objects.filter(owner_id=org.root_id).values("kind", "balance", "held")}
    margin = balances.get("margin", {"balance": ZERO, "held": ZERO})
    position = margin["balance"] - margin["held"]
    threshold = param_get("positions.low_position_threshold")
    return {
        "cash": balances.get("cash", {}).get("balance", ZERO),
        "margin": margin["balance"], "held": margin["held"], "position": position,
        "risk": balances.get("risk", {}).get("balance", ZERO),
        "low_position": position < threshold, "threshold": threshold,
    }


def journal_for_user(*, user) -> QuerySet:
    """Journal lines of the user's institution accounts (数银 finance staff: all institutions)."""
    qs = JournalLine.objects.select_related("entry", "account", "account__owner")
    if user.organization.is_institution:
        return qs.filter(account__owner_id=user.organization.root_id)
    return qs.filter(account__owner__isnull=False)


def recharges_for_user(*, user) -> QuerySet:
    qs = Recharge.objects.select_related("institution", "created_by")
    if user.organization.is_institution:
        return qs.filter(institution_id=user.organization.root_id)
    return qs


def recharge_get_for_user(*, user, pk: int) -> Recharge:
    from django.shortcuts import get_object_or_404

    return get_object_or_404(recharges_for_user(user=user), pk=pk)


def institutions_with_balances() -> QuerySet:
    from django.db.models import FilteredRelation, F, Q

    return (Organization.objects.filter(kind="institution", parent__isnull=True)
            .annotate(cash=FilteredRelation("ledger_accounts", condition=Q(ledger_accounts__kind="cash")),
                      margin=FilteredRelation("ledger_accounts", condition=Q(ledger_accounts__kind="margin")),
                      risk=FilteredRelation("ledger_accounts", condition=Q(ledger_accounts__kind="risk")))
            .annotate(cash_balance=F("cash__balance"), margin_balance=F("margin__balance"),
                      margin_held=F("margin__held"), risk_balance=F("risk__balance")))


def approvals_pending() -> QuerySet:
    return Approval.objects.filter(status=Approval.Status.PENDING).select_related("institution", "requested_by")


def ledger_check(*, deep: bool = False) -> list[str]:
    """Prove the books. Returns a list of breaches (empty when everything reconciles):

    1. every entry's lines sum to zero and it has at least two lines;
    2. every cached balance equals the sum of its lines;
    3. every cached ``held`` equals the sum of its active holds;
    4. no account that must not go negative is below zero, no position below zero;
    5. every hold is resolved at most once (status and timestamps agree; a capture has one entry);
    6. every recharge is credited exactly once: a credited recharge has one entry moving its amount, any
       other has none, and no recharge entry stands without its recharge;
    7. with ``deep``: every line's balance snapshot equals the running sum (a sort of all lines)."""
    checks = {
        "凭证借贷不平（或少于两行）": """
            SELECT entry_id, SUM(amount), COUNT(*) FROM positions_journalline GROUP BY entry_id
            HAVING SUM(amount) <> 0 OR COUNT(*) < 2""",
        "凭证没有分录": """
            SELECT e.id FROM positions_journalentry e
            WHERE NOT EXISTS (SELECT 1 FROM positions_journalline l WHERE l.entry_id = e.id)""",
        "账户余额与流水合计不符": """
            SELECT a.id, a.balance, COALESCE(s.total, 0) FROM positions_account a
            LEFT JOIN (SELECT account_id, SUM(amount) AS total FROM positions_journalline GROUP BY account_id) s
              ON s.account_id = a.id WHERE a.balance <> COALESCE(s.total, 0)""",
        "冻结金额与有效冻结合计不符": """
            SELECT a.id, a.held, COALESCE(h.total, 0) FROM positions_account a
            LEFT JOIN (SELECT account_id, SUM(amount) AS total FROM positions_hold WHERE status = 'active'
                       GROUP BY account_id) h ON h.account_id = a.id WHERE a.held <> COALESCE(h.total, 0)""",
        "余额或头寸为负": """
            SELECT id, balance, held FROM positions_account
            WHERE NOT allow_negative AND (balance < 0 OR balance - held < 0 OR held < 0)""",
        "冻结状态异常（重复解冻或扣划）": """
            SELECT h.id, h.status, h.capture_entry_id FROM positions_hold h
            WHERE (h.status = 'captured') <> (h.capture_entry_id IS NOT NULL)
               OR (h.status = 'active') <> (h.resolved_at IS NULL)""",
        "充值入账状态异常（已入账无凭证或未入账有凭证）": """
            SELECT r.id, r.status, r.entry_id FROM positions_recharge r
            WHERE (r.status = 'credited') <> (r.entry_id IS NOT NULL)""",
        "充值凭证金额与充值单不符": """
            SELECT r.id, r.amount, SUM(l.amount) FROM positions_recharge r
            JOIN positions_journalline l ON l.entry_id = r.entry_id AND l.amount > 0
            GROUP BY r.id, r.amount HAVING SUM(l.amount) <> r.amount""",
        "充值凭证没有对应的充值单": """
            SELECT e.id FROM positions_journalentry e
            WHERE e.kind = 'recharge' AND NOT EXISTS (SELECT 1 FROM positions_recharge r WHERE r.entry_id = e.id)""",
    }
    deep_checks = {
        "流水的余额快照与累计发生额不符": """
            SELECT id, account_id, balance_after FROM (
              SELECT l.id, l.account_id, l.balance_after,
                     SUM(l.amount) OVER (PARTITION BY l.account_id ORDER BY l.id) AS running
              FROM positions_journalline l) t WHERE running <> balance_after""",
    }
    if deep:
        checks.update(deep_checks)
    breaches = []
    with connection.cursor() as cur:
        for label, sql in checks.items():
            cur.execute(sql + " LIMIT 20")
            for row in cur.fetchall():
                breaches.append(f"{label}: {row}")
    return breaches


def ledger_totals() -> dict[str, Decimal]:
    from django.db.models import Sum

    return {"lines": JournalLine.objects.aggregate(s=Sum("amount"))["s"] or ZERO}
