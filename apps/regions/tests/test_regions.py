import pytest

from apps.regions.models import Region
from apps.regions.services import regions_load

pytestmark = pytest.mark.django_db


def test_tree_loaded_by_migration():
    assert Region.objects.filter(level=1).count() == 31
    assert Region.objects.filter(level=2).count() == 342
    assert Region.objects.filter(level=3).count() == 3056
    nanshan = Region.objects.select_related("parent__parent").get(code="440305")
    assert (nanshan.name, nanshan.parent.name, nanshan.parent.parent.name) == ("南山区", "深圳市", "广东省")
    assert nanshan.province_code == "44" and nanshan.city_code == "4403"


def test_reload_is_idempotent():
    before = Region.objects.count()
    Region.objects.filter(code="440305").update(name="改错的名字")
    regions_load()
    assert Region.objects.count() == before
    assert Region.objects.get(code="440305").name == "南山区"
