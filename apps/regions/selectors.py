from .models import Region


def region_path_name(region: Region | None) -> str:
    """'广东省 / 深圳市 / 南山区' for a district (two extra queries at most; use in detail pages)."""
    parts = []
    while region is not None:
        parts.append(region.name)
        region = region.parent
    return " / ".join(reversed(parts))


def provinces():
    return Region.objects.filter(level=Region.Level.PROVINCE)


ANONYMOUS_CITIES = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}


def _whole(name: str) -> str:
    return "全省" if name.endswith("省") else "全市" if name.endswith("市") else "全区"


def regions_summary(regions) -> str:
    """A set of regions as people say it: "广东省全省；浙江省杭州市、宁波市；江苏省南京市玄武区". One query for the
    provinces' and cities' names, whatever the number of regions."""
    regions = sorted(regions, key=lambda r: (r.province_code, r.code))
    if not regions:
        return ""
    codes = {r.province_code for r in regions} | {r.city_code for r in regions if r.city_code}
    names = dict(Region.objects.filter(code__in=codes).values_list("code", "name"))
    by_province: dict[str, list[str]] = {}
    for r in regions:
        parts = by_province.setdefault(r.province_code, [])
        if r.level == Region.Level.PROVINCE:
            parts.insert(0, _whole(r.name))
        elif r.level == Region.Level.CITY:
            parts.append(r.name if r.name not in ANONYMOUS_CITIES else _whole(names.get(r.province_code, "")))
        else:
            city = names.get(r.city_code, "")
            parts.append(r.name if city in ANONYMOUS_CITIES or not city else f"{city}{r.name}")
    out = []
    for province_code, parts in by_province.items():
        province = names.get(province_code, province_code)
        if parts and parts[0] in ("全省", "全市", "全区"):
            out.append(f"{province}{parts[0]}")
        else:
            out.append(province + "、".join(parts))
    return "；".join(out)


def region_tree_rows() -> list[list]:
    """Every active region as ``[code, name, parent code]`` in code order: the data of the 省/市/区 cascader
    (``static/js/region-cascade.js`` loads it from ``/regions.json``)."""
    rows = Region.objects.filter(is_active=True).order_by("code").values_list("code", "name", "parent__code")
    return [[code, name, parent or ""] for code, name, parent in rows]


def region_chain(code: str | None) -> list[Region]:
    """The active province, city and district a code names, top down (``[]`` for no or an unknown code; a
    province's code gives one element, a city's two)."""
    if not code:
        return []
    region = Region.objects.filter(code=code).select_related("parent__parent").first()
    chain = []
    while region is not None:
        chain.append(region)
        region = region.parent
    return list(reversed(chain))


def _bare(name: str) -> str:
    """'广东省' → '广东', '广西壮族自治区' → '广西', '深圳市' → '深圳' (how people often write an address)."""
    for suffix in ("维吾尔自治区", "壮族自治区", "回族自治区", "特别行政区", "自治区", "自治州", "省", "市", "地区", "盟"):
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


def region_from_address(address: str | None) -> Region | None:
    """The most precise active region an address names (a district when it names one, else a city or province):
    '广东省深圳市南山区科技园' → 南山区, '北京市西城区' → 西城区, '杭州市' → 杭州市. Used to preselect the cascader."""
    text = (address or "").replace(" ", "")
    if not text:
        return None
    regions = list(Region.objects.filter(is_active=True).only("code", "name", "level", "parent_id", "province_code",
                                                               "city_code"))

    def named(r: Region) -> int:
        """Where the address names r (its full or bare name), -1 when it does not."""
        if r.name in ANONYMOUS_CITIES:
            return -1
        at = text.find(r.name)
        if at < 0 and len(_bare(r.name)) >= 2:
            at = text.find(_bare(r.name))
        return at

    provinces = [r for r in regions if r.level == Region.Level.PROVINCE and named(r) >= 0]
    province = min(provinces, key=named) if provinces else None
    scope = [r for r in regions if province is None or r.province_code == province.code]
    cities = [r for r in scope if r.level == Region.Level.CITY and named(r) >= 0]
    city = min(cities, key=named) if cities else None
    districts = [r for r in scope if r.level == Region.Level.DISTRICT and (city is None or r.city_code == city.code)
                 and r.name in text]
    if districts:
        # the longest name that the address spells in full (南山区 rather than 山区), then the earliest
        return max(districts, key=lambda r: (len(r.name), -text.find(r.name)))
    if city is not None:
        return city
    if province is not None:
        return province
    return None


_PROVINCES: dict[str, list[tuple[str, str]]] = {}


def province_rows() -> list[tuple[str, str]]:
    """``(code, name)`` of the active provinces, for the cascader's first list on every filter row. Kept in the
    process under the ``ref`` page generation (moved on whenever a region is saved, renamed or retired), so a
    list page does not pay a query for it; without Redis, read from the database."""
    from django.core.cache import cache

    from apps.common.pagecache import gen_key

    try:
        gen = cache.get(gen_key("ref"))
    except Exception:  # noqa: BLE001 — Redis down: the database answers
        gen = None
    if gen and gen in _PROVINCES:
        return _PROVINCES[gen]
    rows = list(Region.objects.filter(level=Region.Level.PROVINCE, is_active=True).order_by("code")
                .values_list("code", "name"))
    if gen:
        _PROVINCES.clear()
        _PROVINCES[gen] = rows
    return rows
