"""The dispatch score and the health check (体检), kept as stored columns on ``Profile`` so that candidate
selection is an index walk (see selectors.candidates_select).

Score = Σ weightᵢ × partᵢ, every part between 0 and 1 (weights are system parameters):

- success    (成功放款数 + 1) / (受理数 + 2)                 — a smoothed success rate
- abandon    1 − (拒单 + 超时 + 放弃 + 1) / (已答复派单数 + 2)  — a smoothed abandonment rate, reversed; offers
             still waiting for an answer do not count, so being dispatched to does not change the score
- volume     成功放款数 / (成功放款数 + 10)                   — experience, saturating
- rating     平均评分 / 5 (no rating yet: 3 / 5)
- timeliness 1 − 受理用时中位数 / 24 小时 (no answer yet: 0.5)
- position   可用头寸 / (可用头寸 + 参照金额)

A new institution scores in the middle, not at the top or the bottom. The stored ``score_parts`` are the
weighted parts; a candidate copies them so 跟单/贷审 can see why it was chosen. Scores are refreshed for
one profile whenever its statistics or position change through dispatch, for all profiles by the
periodic health check, and at once when a weight parameter changes (``scores_ensure_current``)."""
import hashlib
from datetime import timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Count, Q

from apps.common import clock
from apps.common.params import params_get_many

from . import health_signals
from .models import Profile, ScoringState

PARTS = ["success", "abandon", "volume", "rating", "timeliness", "position"]
PART_LABELS = {"success": "贷款成功率", "abandon": "弃单率", "volume": "成功单数", "rating": "客户评价",
               "timeliness": "时效", "position": "可用头寸"}
WEIGHT_KEYS = [f"dispatch.weight.{p}" for p in PARTS] + ["dispatch.position_reference"]

_RESCORE_SQL = """
WITH p AS (
  SELECT pr.id,
    (pr.success_count + 1)::numeric / (pr.accepted_count + 2) AS success,
    1 - (pr.declined_count + pr.lapsed_count + pr.gave_up_count + 1)::numeric
        / (pr.accepted_count + pr.declined_count + pr.lapsed_count + 2) AS abandon,
    pr.success_count::numeric / (pr.success_count + 10) AS volume,
    CASE WHEN pr.rating_count > 0 THEN pr.rating_sum::numeric / pr.rating_count / 5 ELSE 0.6 END AS rating,
    CASE WHEN pr.answer_median_s IS NULL THEN 0.5
         ELSE GREATEST(0, 1 - pr.answer_median_s::numeric / 86400) END AS timeliness,
    GREATEST(a.balance - a.held, 0) / (GREATEST(a.balance - a.held, 0) + %(ref)s) AS position
  FROM dispatch_profile pr JOIN positions_account a ON a.id = pr.margin_account_id
  WHERE %(all)s OR pr.id = ANY(%(ids)s)
), w AS (
  SELECT id,
    round(%(success)s * success, 4) AS success, round(%(abandon)s * abandon, 4) AS abandon,
    round(%(volume)s * volume, 4) AS volume, round(%(rating)s * rating, 4) AS rating,
    round(%(timeliness)s * timeliness, 4) AS timeliness, round(%(position)s * position, 4) AS position
  FROM p
)
UPDATE dispatch_profile pr
SET score = w.success + w.abandon + w.volume + w.rating + w.timeliness + w.position,
    score_parts = jsonb_build_object('success', w.success, 'abandon', w.abandon, 'volume', w.volume,
                                     'rating', w.rating, 'timeliness', w.timeliness, 'position', w.position)
FROM w WHERE pr.id = w.id
"""


def _weights(values: dict) -> dict:
    return {p: Decimal(values[f"dispatch.weight.{p}"]) for p in PARTS} | {
        "ref": Decimal(values["dispatch.position_reference"])}


def signature(values: dict) -> str:
    text = "|".join(f"{k}={values[k]}" for k in WEIGHT_KEYS)
    return hashlib.sha1(text.encode()).hexdigest()


def profiles_rescore(ids=None, *, values: dict | None = None) -> int:
    """Recompute the stored score of the given profiles (all when ``ids`` is None) in one statement."""
    values = values or params_get_many(WEIGHT_KEYS)
    params = _weights(values) | {"all": ids is None, "ids": list(ids or [])}
    with connection.cursor() as cur:
        cur.execute(_RESCORE_SQL, params)
        return cur.rowcount


def scores_ensure_current(values: dict | None = None) -> bool:
    """Rescore everything once if the weights changed since the scores were stored. True if it did."""
    values = values or params_get_many(WEIGHT_KEYS)
    sig = signature(values)
    state = ScoringState.objects.filter(pk=1).values_list("signature", flat=True).first()
    if state == sig:
        return False
    with transaction.atomic():
        row, _ = ScoringState.objects.select_for_update().get_or_create(pk=1)
        if row.signature == sig:
            return False
        profiles_rescore(values=values)
        row.signature = sig
        row.save()
    return True


def answer_median_refresh(profile_id: int) -> None:
    """Median time from offer to answer over the institution's last 200 answers."""
    with connection.cursor() as cur:
        cur.execute(
            "UPDATE dispatch_profile SET answer_median_s = (SELECT percentile_cont(0.5) WITHIN GROUP"
            " (ORDER BY EXTRACT(EPOCH FROM answered_at - offered_at)) FROM (SELECT answered_at, offered_at"
            "  FROM dispatch_candidate WHERE profile_id = %s AND answered_at IS NOT NULL"
            "  ORDER BY id DESC LIMIT 200) recent) WHERE id = %s", [profile_id, profile_id])


# ---- health check (体检参数) ----

HEALTH_KEYS = ["dispatch.health.min_position", "dispatch.health.max_abandon_rate", "dispatch.health.min_sample",
               "dispatch.health.penalty_days", "dispatch.health.max_penalties",
               "dispatch.health.max_overdue_settlements", "dispatch.health.exclude"]


def health_findings(profile: Profile, values: dict, *, penalties: int, overdue: int) -> list[str]:
    notes = []
    available = profile.margin_account.available
    if values["dispatch.health.min_position"] > 0 and available < values["dispatch.health.min_position"]:
        notes.append(f"可用头寸 {available:,.2f} 元低于体检要求 {values['dispatch.health.min_position']:,.2f} 元")
    if profile.dispatched_count >= values["dispatch.health.min_sample"]:
        rate = Decimal(profile.abandoned) / profile.dispatched_count
        if rate > values["dispatch.health.max_abandon_rate"]:
            notes.append(f"弃单率 {rate:.0%} 高于上限 {values['dispatch.health.max_abandon_rate']:.0%}")
    if penalties >= values["dispatch.health.max_penalties"]:
        notes.append(f"近 {values['dispatch.health.penalty_days']} 天被处罚 {penalties} 次")
    if overdue >= values["dispatch.health.max_overdue_settlements"]:
        notes.append(f"逾期未结算 {overdue} 单")
    return notes


def health_refresh(ids=None) -> int:
    """Run the health check over the given profiles (all when None) and store flags and exclusions.
    Returns how many profiles changed state."""
    from apps.positions.models import JournalLine

    values = params_get_many(HEALTH_KEYS)
    now = clock.now()
    qs = Profile.objects.select_related("margin_account")
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    profiles = list(qs)
    since = now - timedelta(days=values["dispatch.health.penalty_days"])
    owners = [p.institution_id for p in profiles]
    penalties = dict(JournalLine.objects.filter(entry__kind="penalty", account__kind="risk", amount__lt=0,
                                                created_at__gte=since, account__owner_id__in=owners)
                     .values("account__owner_id").annotate(n=Count("id")).values_list("account__owner_id", "n"))
    overdue = health_signals.overdue_settlements(owners, now=now)
    changed = []
    for profile in profiles:
        notes = health_findings(profile, values, penalties=penalties.get(profile.institution_id, 0),
                                overdue=overdue.get(profile.institution_id, 0))
        excluded = bool(notes) and values["dispatch.health.exclude"]
        if notes != profile.health_notes or excluded != profile.excluded:
            profile.health_notes, profile.excluded = notes, excluded
            changed.append(profile)
        profile.health_checked_at = now
    Profile.objects.bulk_update(profiles, ["health_notes", "excluded", "health_checked_at"], batch_size=1000)
    return len(changed)


def flagged_q() -> Q:
    return ~Q(health_notes=[])
