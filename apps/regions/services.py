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
