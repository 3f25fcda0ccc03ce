import json
from pathlib import Path

from django.db import transaction

DATA_FILE = Path(__file__).resolve().parent / "data" / "pca-code.json"


def regions_load(*, region_model=None, path: Path = DATA_FILE) -> int:
    """Load (or update) the province/city/district tree from the shipped JSON. Idempotent.

    Returns the number of regions in the tree. ``region_model`` lets a data migration pass
    its historical model."""
    if region_model is None:
        from .models import Region as region_model
    tree = json.loads(path.read_text(encoding="utf-8"))
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

    with transaction.atomic():
        existing = {r.code: r for r in region_model.objects.all()}
        by_code = dict(existing)
        for code, name, level, parent_code, province_code, city_code in rows:
            obj = by_code.get(code)
            parent = by_code[parent_code] if parent_code else None
            if obj is None:
                obj = region_model.objects.create(
                    code=code, name=name, level=level, parent=parent,
                    province_code=province_code, city_code=city_code,
                )
                by_code[code] = obj
            elif (obj.name, obj.level, obj.parent_id, obj.province_code, obj.city_code) != (
                name, level, parent.pk if parent else None, province_code, city_code
            ):
                obj.name, obj.level, obj.parent = name, level, parent
                obj.province_code, obj.city_code = province_code, city_code
                obj.save()
    return len(rows)
