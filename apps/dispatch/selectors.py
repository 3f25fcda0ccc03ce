"""Reads of the dispatch app: candidate selection (the hot path) and the lists behind its pages."""
import json
from collections import namedtuple
from dataclasses import dataclass

from django.db import connection
from django.db.models import BooleanField, F, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.shortcuts import get_object_or_404

from apps.common.params import param_get
from apps.regions.models import Region

from .models import Candidate, Cluster, Dispatch, LostCase, Profile

BUILTIN_LEVELS = {"district": "区县", "city": "地市", "province": "全省", "national": "全国"}


def cluster_levels() -> list[str]:
    levels = [c.strip() for c in str(param_get("dispatch.cluster_levels")).split(",") if c.strip()]
    return levels or ["district", "city", "province", "national"]


def level_name(code: str) -> str:
    if code in BUILTIN_LEVELS:
        return BUILTIN_LEVELS[code]
    names = list(Cluster.objects.filter(level=code).values_list("name", flat=True)[:3])
    return f"集群（{'、'.join(names)}）" if names else code


def area_keys(region: Region, level: str) -> list[str] | None:
    """The coverage keys (models.coverage_keys) of which an institution needs one to serve ``region`` at
    ``level``; None: no region condition. A service area covers everything beneath it."""
    if level == "national":
        return None
    region = region.current  # a retired code is served as the code that replaced it
    own = [f"r:{c}" for c in (region.code, region.city_code, region.province_code) if c]
    if level == "district":
        return own  # the district itself, its city or its province
    if level == "city":  # anything inside its city, or its whole province
        if not region.city_code:
            return [f"p:{region.province_code}"]
        return [f"c:{region.city_code}", f"r:{region.province_code}"]
    if level == "province":
        return [f"p:{region.province_code}"]
    members = Region.objects.filter(pk__in=Cluster.regions.through.objects.filter(
        cluster__level=level, cluster__regions__code__in=[c for c in (region.province_code, region.city_code) if c]
    ).values("region_id")).values_list("level", "code")
    keys = [f"p:{code}" if lvl == Region.Level.PROVINCE else f"c:{code}" for lvl, code in members
            if lvl in (Region.Level.PROVINCE, Region.Level.CITY)]
    # a cluster level that does not contain the application's region widens to its province
    return keys or [f"p:{region.province_code}"]


RANK = (F("score").desc(), F("last_dispatched_at").asc(nulls_first=True), "id")
PICK_FIELDS = ("pk", "institution_id", "score", "score_parts")


# The conditions that never change, built (and compiled into the query's tree) once; every selection clones it.
_ACTIVE = Profile.objects.filter(is_active=True, excluded=False)


def eligible_q(*, application, level: str) -> Q:
    """The rules of section 5 that depend on the application: serves the region at this level, the product and
    the client type. Conditions on the profile row only (the arrays are copies of the service areas and
    products), so PostgreSQL can check them while walking the ``dispatch_rank`` index."""
    q = Q(client_types__contains=[application.client_type], product_ids__contains=[application.product_id])
    keys = area_keys(application.region, level)
    if keys is not None:
        q &= Q(coverage__overlap=keys)
    return q


def not_tried(application) -> RawSQL:
    """Not offered this application before, in any attempt: an anti-join probe of the candidate table's
    unique (application, institution) index per profile row (robust whatever the table statistics)."""
    return RawSQL("NOT EXISTS (SELECT 1 FROM dispatch_candidate tried WHERE tried.application_id = %s"
                  " AND tried.institution_id = dispatch_profile.institution_id)", [application.pk],
                  output_field=BooleanField())


def _has_room(hold) -> Q:
    return Q(active_cases__lt=F("capacity"), margin_account__balance__gte=F("margin_account__held") + hold)


def eligible(application, level: str, *, room: bool) -> QuerySet:
    """Eligible profiles — active, not excluded by the health check, the rules above, not tried before — with
    (``room``) or without free capacity and position for the per-case hold."""
    has_room = _has_room(application.product.hold_amount)
    return _ACTIVE.filter(eligible_q(application=application, level=level) & (has_room if room else ~has_room),
                          not_tried(application))


def ranked(qs: QuerySet) -> QuerySet:
    """Highest score first; equal scores rotate: the one dispatched to longest ago (or never) first."""
    return qs.order_by(*RANK)


def candidates_select(*, application, level: str, n: int) -> list:
    """The top ``n`` eligible profiles with free capacity and enough position for the per-case hold, as rows
    of (pk, institution_id, score, score_parts). One query; PostgreSQL walks the ``dispatch_rank`` index
    and stops after ``n`` matching rows (EXPLAIN in docs/performance.md). The SQL is written once (``_PICK_SQL``,
    the same conditions as ``eligible(room=True)`` + ``ranked``): building and compiling the queryset cost
    Django about as much as PostgreSQL's planning and execution together."""
    if n <= 0:
        return []
    return pick(application, level, n)[0]


def lost_select(*, application, level: str, n: int, picked: list) -> list[tuple[Profile, str]]:
    """Institutions that would have ranked among the top ``n`` but lack capacity or position: they lost a
    qualifying case (符合条件流失单子数)."""
    return lost_of(ranked(eligible(application, level, room=False)).only(
        "pk", "institution_id", "score", "active_cases", "capacity")[:n], n, picked)


def lost_of(rows, n: int, picked: list) -> list:
    lost = []
    for profile in rows:
        if len(picked) >= n and profile.score < picked[-1].score:
            continue  # it would not have made the top n anyway
        reason = LostCase.Reason.CAPACITY if profile.active_cases >= profile.capacity else LostCase.Reason.POSITION
        lost.append((profile, reason))
    return lost


# ---- the selection as SQL written once (the hot path of every round and of the sweep) ----

Pick = namedtuple("Pick", "pk institution_id score score_parts")
Near = namedtuple("Near", "pk institution_id score active_cases capacity")  # a lost case's profile

_ROOM = "p.active_cases < p.capacity AND m.balance >= m.held + %(hold)s"
_PICK_BODY = """SELECT p.id, p.institution_id, p.score, p.score_parts, p.active_cases, p.capacity, p.last_dispatched_at
    FROM dispatch_profile p JOIN positions_account m ON m.id = p.margin_account_id
    WHERE p.is_active AND NOT p.excluded
      AND p.client_types @> ARRAY[%(client_type)s]::varchar(20)[]
      AND p.product_ids @> ARRAY[%(product)s]::integer[] {area}
      AND {room}
      AND NOT EXISTS (SELECT 1 FROM dispatch_candidate tried
                      WHERE tried.application_id = %(application)s AND tried.institution_id = p.institution_id)
    ORDER BY p.score DESC, p.last_dispatched_at ASC NULLS FIRST, p.id ASC LIMIT %(n)s"""


def _pick_sql(with_area: bool, with_lost: bool) -> str:
    area = "AND p.coverage && %(keys)s::varchar(14)[]" if with_area else ""
    picked = _PICK_BODY.format(area=area, room=_ROOM)
    if not with_lost:
        return picked
    lost = _PICK_BODY.format(area=area, room=f"NOT ({_ROOM})")
    return (f"SELECT true AS room, * FROM ({picked}) a UNION ALL SELECT false, * FROM ({lost}) b"
            " ORDER BY room DESC, score DESC, last_dispatched_at ASC NULLS FIRST, id ASC")


_PICK_SQL = {(a, lost): _pick_sql(a, lost) for a in (True, False) for lost in (True, False)}


def _parts(value):
    return json.loads(value) if isinstance(value, str) else value


def pick(application, level: str, n: int, *, lost: bool = False, keys=False) -> tuple[list, list]:
    """(the top ``n`` with room, as ``Pick`` rows; with ``lost``, the top ``n`` without room as ``Near`` rows) in
    one statement. ``keys``: the area keys when the caller has them already."""
    if keys is False:
        keys = area_keys(application.region, level)
    params = {"client_type": application.client_type, "product": application.product_id, "keys": keys,
              "hold": application.product.hold_amount, "application": application.pk, "n": n}
    with connection.cursor() as cur:
        cur.execute(_PICK_SQL[(keys is not None, lost)], params)
        rows = cur.fetchall()
    if not lost:
        return [Pick(r[0], r[1], r[2], _parts(r[3])) for r in rows], []
    return ([Pick(r[1], r[2], r[3], _parts(r[4])) for r in rows if r[0]],
            [Near(r[1], r[2], r[3], r[5], r[6]) for r in rows if not r[0]])


@dataclass
class Eligibility:
    profile: Profile | None
    warnings: list[str]


def eligibility_check(*, application, institution, level: str) -> Eligibility:
    """Why an institution would not be picked by the rules (shown before a manual addition)."""
    profile = Profile.objects.select_related("margin_account").filter(institution=institution).first()
    if profile is None:
        return Eligibility(None, ["该机构尚未设置派发参数"])
    warnings = []
    if not profile.is_active:
        warnings.append("机构已暂停接单")
    if profile.excluded:
        warnings.append("体检不合格：" + "；".join(profile.health_notes))
    if application.client_type not in profile.client_types:
        warnings.append("不服务该类客户")
    if application.product_id not in profile.product_ids:
        warnings.append("业务类别不含该产品")
    keys = area_keys(application.region, level)
    if keys is not None and not set(keys) & set(profile.coverage):
        warnings.append("服务区域不含申请所在地区")
    if profile.active_cases >= profile.capacity:
        warnings.append(f"同时服务人数已满（{profile.active_cases}/{profile.capacity}）")
    if profile.margin_account.available < application.product.hold_amount:
        warnings.append(f"可用头寸 {profile.margin_account.available:,.2f} 元不足本单冻结额 "
                        f"{application.product.hold_amount:,.2f} 元")
    if Candidate.objects.filter(application=application, institution=institution).exists():
        warnings.append("该机构已派发过本申请")
    return Eligibility(profile, warnings)


# ---- pages ----

def offers_for_user(*, user) -> QuerySet:
    """Cases dispatched to the user's institution: every unit sees the open offers (the client masked), and the
    answered ones (the history, where the client shows once accepted) follow ``offer_history_q``."""
    org = user.organization
    if org is None or not org.is_institution:
        return Candidate.objects.none()
    return (Candidate.objects.filter(institution_id=org.root_id).filter(offer_history_q(user))
            .select_related("application__product", "application__region", "application__member", "round"))


def offer_history_q(user) -> Q:
    """The offer history follows the data scope of the case pages: a user who sees the whole institution sees all
    of it; anyone else only the offers they answered themselves and those whose case (the client chose the
    institution) lies in their scope — a sub-institution's read-only user does not see a client that the case
    pages would answer 404 for. (Reads the case through the reverse relation: dispatch does not import cases.)"""
    from apps.accounts.models import DataScope
    from apps.accounts.selectors import organization_scope_q, user_data_scope

    scope = user_data_scope(user)
    if scope == DataScope.ALL or (scope == DataScope.UNIT_AND_BELOW and user.organization.parent_id is None):
        return Q()
    case_q = organization_scope_q(user, field="case__unit")
    if scope == DataScope.SELF:
        case_q &= Q(case__officer=user)
    return Q(status=Candidate.Status.OFFERED) | Q(answered_by=user) | case_q


def offer_get_for_user(*, user, pk: int) -> Candidate:
    return get_object_or_404(offers_for_user(user=user), pk=pk)


def dispatches_live() -> QuerySet:
    return (Dispatch.objects.filter(status__in=Dispatch.LIVE)
            .select_related("application__product", "application__region", "application__member",
                            "application__cm"))


def pending_prefetch():
    """Each dispatch's offers still open, earliest deadline first, as ``dispatch.pending`` (one query a page)."""
    from django.db.models import Prefetch

    return Prefetch("candidates", to_attr="pending", queryset=Candidate.objects.filter(
        status=Candidate.Status.OFFERED).select_related("institution").order_by("deadline", "pk"))


def pending_offers(dispatch: Dispatch) -> list[Candidate]:
    """The institutions still pending on this dispatch, each with its own deadline."""
    return list(dispatch.candidates.filter(status=Candidate.Status.OFFERED).select_related("institution")
                .order_by("deadline", "pk"))


def dispatch_record(application) -> list[Dispatch]:
    """Every attempt with its rounds and candidates, in three queries."""
    from django.db.models import Prefetch

    return list(application.dispatches.order_by("attempt").prefetch_related(
        "rounds", "events__actor",
        Prefetch("candidates", queryset=Candidate.objects.select_related("institution", "round", "added_by",
                                                                         "answered_by"))))


def live_dispatch(application) -> Dispatch | None:
    return application.dispatches.filter(status__in=Dispatch.LIVE).first()


def profile_for_institution(org) -> Profile | None:
    return (Profile.objects.select_related("margin_account", "institution")
            .filter(institution_id=org.root_id).first())
