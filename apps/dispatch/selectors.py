"""Reads of the dispatch app: candidate selection (the hot path) and the lists behind its pages."""
from dataclasses import dataclass

from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.shortcuts import get_object_or_404

from apps.common.params import param_get
from apps.regions.models import Region

from .models import Candidate, Cluster, Dispatch, LostCase, Profile, ProfileProduct, ServiceArea

BUILTIN_LEVELS = {"district": "区县", "city": "地市", "province": "全省", "national": "全国"}


def cluster_levels() -> list[str]:
    levels = [c.strip() for c in str(param_get("dispatch.cluster_levels")).split(",") if c.strip()]
    return levels or ["district", "city", "province", "national"]


def level_name(code: str) -> str:
    if code in BUILTIN_LEVELS:
        return BUILTIN_LEVELS[code]
    names = list(Cluster.objects.filter(level=code).values_list("name", flat=True)[:3])
    return f"集群（{'、'.join(names)}）" if names else code


def _area_condition(region: Region, level: str) -> Q | None:
    """Which service areas cover ``region`` at ``level`` (None: no region condition). A service area is a
    province, city or district; it covers everything beneath it."""
    if level == "national":
        return None
    province = Q(level=Region.Level.PROVINCE, province_code=region.province_code)
    if level == "district":
        own = Q(region_id=region.pk)
        return own | Q(level=Region.Level.CITY, city_code=region.city_code) | province if region.city_code \
            else own | province
    if level == "city":
        return Q(city_code=region.city_code) | province if region.city_code else Q(province_code=region.province_code)
    if level == "province":
        return Q(province_code=region.province_code)
    members = Region.objects.filter(pk__in=Cluster.regions.through.objects.filter(
        cluster__level=level, cluster__regions__code__in=[c for c in (region.province_code, region.city_code) if c]
    ).values("region_id"))
    provinces = list(members.filter(level=Region.Level.PROVINCE).values_list("code", flat=True))
    cities = list(members.filter(level=Region.Level.CITY).values_list("code", flat=True))
    # a cluster level that does not contain the application's region widens to its province
    if not provinces and not cities:
        return Q(province_code=region.province_code)
    return Q(province_code__in=provinces) | Q(city_code__in=cities)


def eligible_profiles(*, application, level: str) -> QuerySet:
    """Every rule of section 5 except the order: active and not excluded, serves the region at this level,
    the product and the client type, has free capacity and enough position for the per-case hold, and has
    not been tried for this application before (in any attempt)."""
    hold = application.product.hold_amount
    qs = (Profile.objects.filter(is_active=True, excluded=False, client_types__contains=[application.client_type])
          .filter(Exists(ProfileProduct.objects.filter(profile=OuterRef("pk"), product_id=application.product_id)))
          .exclude(Exists(Candidate.objects.filter(application_id=application.pk,
                                                   institution_id=OuterRef("institution_id")))))
    area = _area_condition(application.region, level)
    if area is not None:
        qs = qs.filter(Exists(ServiceArea.objects.filter(area, profile=OuterRef("pk"))))
    return qs.alias(position=F("margin_account__balance") - F("margin_account__held")), hold


def ranked(qs: QuerySet) -> QuerySet:
    """Highest score first; equal scores rotate: the one dispatched to longest ago (or never) first."""
    return qs.order_by(F("score").desc(), F("last_dispatched_at").asc(nulls_first=True), "id")


def candidates_select(*, application, level: str, n: int) -> list[Profile]:
    """The top ``n`` eligible profiles. One query; PostgreSQL walks the ``dispatch_rank`` index and stops
    after ``n`` matching rows (EXPLAIN in docs/performance.md)."""
    if n <= 0:
        return []
    qs, hold = eligible_profiles(application=application, level=level)
    qs = qs.filter(active_cases__lt=F("capacity"), position__gte=hold)
    return list(ranked(qs).select_related("institution")[:n])


def lost_select(*, application, level: str, n: int, picked: list[Profile]) -> list[tuple[Profile, str]]:
    """Institutions that would have ranked among the top ``n`` but lack capacity or position: they lost a
    qualifying case (符合条件流失单子数)."""
    qs, hold = eligible_profiles(application=application, level=level)
    lost = []
    for profile in ranked(qs.filter(Q(active_cases__gte=F("capacity")) | Q(position__lt=hold)))[:n]:
        if len(picked) >= n and profile.score < picked[-1].score:
            continue  # it would not have made the top n anyway
        reason = LostCase.Reason.CAPACITY if profile.active_cases >= profile.capacity else LostCase.Reason.POSITION
        lost.append((profile, reason))
    return lost


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
    if not profile.product_links.filter(product_id=application.product_id).exists():
        warnings.append("业务类别不含该产品")
    area = _area_condition(application.region, level)
    if area is not None and not profile.areas.filter(area).exists():
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
    """Cases dispatched to the user's institution (all of its units see the legal entity's cases)."""
    org = user.organization
    if org is None or not org.is_institution:
        return Candidate.objects.none()
    return (Candidate.objects.filter(institution_id=org.root_id)
            .select_related("application__product", "application__region", "application__member", "round"))


def offer_get_for_user(*, user, pk: int) -> Candidate:
    return get_object_or_404(offers_for_user(user=user), pk=pk)


def dispatches_live() -> QuerySet:
    return (Dispatch.objects.filter(status__in=Dispatch.LIVE)
            .select_related("application__product", "application__region", "application__member",
                            "application__cm"))


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
