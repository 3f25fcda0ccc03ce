import json
from pathlib import Path

from django.db import transaction

from apps.common import pagecache

DATA_FILE = Path(__file__).resolve().parent / "data" / "pca-code.json"


def _flatten(tree) -> list[tuple]:
    rows = []

    def walk(node, level, parent_code, province_code, city_code):
        code = node["code"]
        if level == 1:
            province_code = code
        elif level == 2:
            city_code = code
        rows.append((code, node["name"], level, parent_code, province_code, city_code))
        for child in node.get("children", []):
            walk(child, level + 1, code, province_code, city_code)

    for province in tree:
        walk(province, 1, None, "", "")
    return rows


def regions_load(*, region_model=None, path: Path = DATA_FILE) -> int:
    """Load or refresh the province/city/district tree from the shipped JSON. Idempotent:
    missing regions are bulk-inserted level by level, changed names are updated.

    ``region_model`` lets a data migration pass its historical model."""
    if region_model is None:
        from .models import Region as region_model
    rows = _flatten(json.loads(path.read_text(encoding="utf-8")))
    with transaction.atomic():
        ids = dict(region_model.objects.values_list("code", "id"))
        names = dict(region_model.objects.values_list("code", "name"))
        for level in (1, 2, 3):
            new = [
                region_model(code=code, name=name, level=lvl, parent_id=ids.get(parent) if parent else None,
                             province_code=prov, city_code=city)
                for code, name, lvl, parent, prov, city in rows if lvl == level and code not in ids
            ]
            region_model.objects.bulk_create(new, batch_size=1000)
            if new:
                ids.update(region_model.objects.filter(level=level).values_list("code", "id"))
        for code, name, *_ in rows:
            if code in names and names[code] != name:
                region_model.objects.filter(code=code).update(name=name)
    pagecache.bump("ref")  # region names shown on cached pages (update() sends no signal)
    return len(rows)


# ---- maintenance by 数银's administrators (区域) ----

from django.core.exceptions import ValidationError  # noqa: E402
from django.utils import timezone  # noqa: E402
from django.utils.translation import gettext as _  # noqa: E402

CODE_LENGTH = {1: 2, 2: 4, 3: 6}  # GB/T 2260 as shipped here: 44 / 4403 / 440305


def _changed() -> None:
    pagecache.bump("ref")  # region names are drawn on cached pages


@transaction.atomic
def region_rename(*, actor, region, name: str):
    from .models import Region

    name = name.strip()
    if not name:
        raise ValidationError(_("请填写区划名称。"))
    Region.objects.select_for_update().filter(pk=region.pk).update(name=name)
    region.name = name
    transaction.on_commit(_changed)
    return region


@transaction.atomic
def region_add(*, actor, parent, code: str, name: str):
    """A new code under ``parent`` (a new province when ``parent`` is None)."""
    from .models import Region

    level = parent.level + 1 if parent else Region.Level.PROVINCE
    if level > Region.Level.DISTRICT:
        raise ValidationError(_("区县下不能再添加下级区划。"))
    code = code.strip()
    if not code.isdigit() or len(code) != CODE_LENGTH[level]:
        raise ValidationError(_("%(level)s代码应为 %(n)d 位数字。") % {
            "level": Region.Level(level).label, "n": CODE_LENGTH[level]})
    if parent and not code.startswith(parent.code):
        raise ValidationError(_("代码应以上级区划代码 %(p)s 开头。") % {"p": parent.code})
    if parent and not parent.is_active:
        raise ValidationError(_("上级区划已撤销，不能在其下添加。"))
    if Region.objects.filter(code=code).exists():
        raise ValidationError(_("区划代码 %(c)s 已存在。") % {"c": code})
    if not name.strip():
        raise ValidationError(_("请填写区划名称。"))
    region = Region.objects.create(
        code=code, name=name.strip(), level=level, parent=parent,
        province_code=parent.province_code if parent else code,
        city_code=code if level == Region.Level.CITY else (parent.city_code if parent else ""))
    transaction.on_commit(_changed)
    return region


@transaction.atomic
def region_retire(*, actor, region, successor):
    """Retire ``region``'s code, replaced by ``successor`` (same level, in force). Rows that point at it keep it
    (an old application still shows its district); ``Region.current`` leads to the successor for new work.
    A province or city is retired after its children."""
    from .models import Region

    region = Region.objects.select_for_update().get(pk=region.pk)
    if not region.is_active:
        raise ValidationError(_("该区划已撤销。"))
    if successor is None or successor.pk == region.pk:
        raise ValidationError(_("请选择承继的区划（不能是它自己）。"))
    if successor.level != region.level or not successor.is_active:
        raise ValidationError(_("承继区划必须是同级、有效的区划。"))
    if Region.objects.filter(parent=region, is_active=True).exists():
        raise ValidationError(_("该区划下还有有效的下级区划，请先撤销或调整它们。"))
    region.is_active, region.successor, region.retired_at = False, successor, timezone.now()
    region.save(update_fields=["is_active", "successor", "retired_at"])
    transaction.on_commit(_changed)
    return region
