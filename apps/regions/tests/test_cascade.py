"""The 省/市/区 cascader (issue 19 §3): its tree as JSON, the value it posts, and the region an address names."""
import json

import pytest
from django import forms

from apps.regions.forms import RegionCodeField
from apps.regions.selectors import region_from_address

pytestmark = pytest.mark.django_db


class Pick(forms.Form):
    region = RegionCodeField(required=False, blank="全部")


@pytest.mark.parametrize("address,code", [
    ("广东省深圳市南山区科技园南区 8 栋", "440305"),
    ("北京市西城区金融大街 1 号", "110102"),
    ("深圳市福田区", "440304"),  # no province written
    ("浙江杭州西湖区文三路", "330106"),  # bare names
    ("杭州市", "3301"),  # a city only
    ("江苏省", "32"),
    ("", None), ("火星基地", None),
])
def test_the_region_an_address_names(address, code):
    region = region_from_address(address)
    assert (region.code if region else None) == code


def test_the_tree_as_json_with_an_etag(client):
    resp = client.get("/regions.json")
    assert resp.status_code == 200 and resp["Cache-Control"].startswith("public")
    rows = json.loads(resp.content)
    assert ["44", "广东省", ""] in rows and ["4403", "深圳市", "44"] in rows and ["440305", "南山区", "4403"] in rows
    again = client.get("/regions.json", HTTP_IF_NONE_MATCH=resp["ETag"])
    assert again.status_code == 304
    assert client.post("/regions.json").status_code == 405


def test_the_value_is_the_deepest_choice_under_its_parents():
    def value(**data):
        form = Pick(data)
        assert form.is_valid(), form.errors
        return form.cleaned_data["region"]

    assert value(region_province="44", region_city="4403", region="440305") == "440305"
    assert value(region_province="44", region_city="4403", region="") == "4403"
    assert value(region_province="44", region_city="", region="") == "44"
    # a city left over from another province (the province changed without the script) is dropped
    assert value(region_province="33", region_city="4403", region="440305") == "33"
    assert value(region="4403") == "4403"  # a link with the code itself
    assert value() == ""


def test_the_widget_draws_the_chosen_path():
    html = str(Pick(initial={"region": "440305"})["region"])
    assert 'name="region_province"' in html and 'name="region_city"' in html and 'name="region"' in html
    assert '<option value="44" selected>广东省</option>' in html
    assert '<option value="4403" selected>深圳市</option>' in html
    assert '<option value="440305" selected>南山区</option>' in html
    assert "全部省份" in html and "region-cascade.js" in html
    empty = str(Pick()["region"])
    assert '<option value="44">广东省</option>' in empty and empty.count(" disabled") == 2  # city, district wait
