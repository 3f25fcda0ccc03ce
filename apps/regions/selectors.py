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
