"""Service areas as a tree of provinces → cities → districts (issue 18 §8): the field keeps the widest choice
only, districts can be chosen, and the selection reads as people say it."""
import pytest

from apps.regions.forms import RegionTreeField
from apps.regions.models import Region
from apps.regions.selectors import regions_summary

pytestmark = pytest.mark.django_db


def ids(*codes):
    return [str(Region.objects.get(code=c).pk) for c in codes]


def test_a_wider_choice_covers_the_narrower_ones():
    field = RegionTreeField()
    chosen = field.clean(ids("44", "4403", "440305", "3301", "330106", "320102"))
    assert sorted(r.code for r in chosen) == ["320102", "3301", "44"]


def test_unknown_ids_are_refused_in_chinese():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        RegionTreeField().clean(["999999999"])
    assert "不在可用的选项中" in exc.value.messages[0] or "有效" in exc.value.messages[0]


def test_summary_reads_as_people_say_it():
    regions = list(Region.objects.filter(code__in=["44", "3301", "3302", "110105", "1101", "320102"]))
    text = regions_summary(regions)
    assert text == "北京市全市；江苏省南京市玄武区；浙江省杭州市、宁波市；广东省全省"
    assert regions_summary(list(Region.objects.filter(code__in=["110105"]))) == "北京市朝阳区"


def test_widget_renders_the_tree_the_selection_and_the_script():
    from django import forms

    class F(forms.Form):
        areas = RegionTreeField(required=False)

    html = str(F(initial={"areas": [int(i) for i in ids("44", "3301")]})["areas"])
    assert 'data-region-tree="id_areas_data"' in html and 'src="/static/js/region-tree.js"' in html
    assert "浙江省杭州市；广东省全省" in html  # the summary before any script runs
    assert html.count('type="hidden" name="areas"') == 2
    assert "https://" not in html  # nothing from a CDN
