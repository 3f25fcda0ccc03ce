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
