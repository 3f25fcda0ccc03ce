from django import forms
from django.forms.models import ModelChoiceIterator

from .models import Region


class _CitiesByProvince(ModelChoiceIterator):
    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        provinces = dict(Region.objects.filter(level=Region.Level.PROVINCE).values_list("code", "name"))
        groups: dict[str, list] = {}
        for city in self.queryset:
            groups.setdefault(provinces.get(city.province_code, ""), []).append(self.choice(city))
        yield from groups.items()


class CityChoiceField(forms.ModelChoiceField):
    """Prefecture-level cities grouped by province (342 options in 31 groups)."""

    iterator = _CitiesByProvince

    def __init__(self, **kwargs):
        kwargs.setdefault("empty_label", "请选择所在城市")
        super().__init__(queryset=Region.objects.filter(level=Region.Level.CITY, is_active=True).order_by("code"), **kwargs)


class RegionTreeWidget(forms.Widget):
    """Provinces → cities → districts as a tree of checkboxes with a search box (static/js/region-tree.js, no
    CDN). The tree travels in the page as JSON (``json_script``: allowed by the strict CSP); the script posts the
    selection as one ``<name>=<region id>`` per chosen node, a province or city standing for everything below."""

    def render(self, name, value, attrs=None, renderer=None):
        from django.templatetags.static import static
        from django.utils.html import format_html, format_html_join, json_script

        from .selectors import regions_summary

        attrs = self.build_attrs(self.attrs, attrs)
        dom_id = attrs.get("id") or f"id_{name}"
        selected = [int(v) for v in (value or []) if str(v).isdigit()]
        nodes = list(Region.objects.filter(is_active=True).order_by("code").values_list("pk", "name", "parent_id"))
        chosen = list(Region.objects.filter(pk__in=selected))
        data = {"nodes": nodes, "selected": selected}
        return format_html(
            '<div class="region-tree border rounded p-2" id="{}" data-region-tree="{}" data-name="{}">'
            '<div class="region-tree-summary small mb-2" data-summary>{}</div>'
            '<input type="search" class="form-control form-control-sm mb-2" data-search placeholder="搜索省、市、区县，如：杭州" '
            'aria-label="搜索地区">'
            '<div class="region-tree-body" data-body style="max-height: 22rem; overflow:auto"></div>'
            '{}</div>{}<script src="{}" defer></script>',
            dom_id, f"{dom_id}_data", name, regions_summary(chosen) or "未选择",
            format_html_join("", '<input type="hidden" name="{}" value="{}">', ((name, pk) for pk in selected)),
            json_script(data, f"{dom_id}_data"), static("js/region-tree.js"))

    def value_from_datadict(self, data, files, name):
        return data.getlist(name) if hasattr(data, "getlist") else data.get(name)

    def value_omitted_from_data(self, data, files, name):
        return False  # an empty tree posts nothing: that means "no region", not "field missing"


class RegionTreeField(forms.ModelMultipleChoiceField):
    """Any provinces, cities and districts; a region whose province or city is also chosen is dropped (the wider
    choice already covers it), so what is stored is what the summary says."""

    widget = RegionTreeWidget

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", "勾选省份表示全省、勾选城市表示全市；可展开到区县，可搜索")
        super().__init__(queryset=Region.objects.order_by("code"), **kwargs)

    def clean(self, value):
        regions = list(super().clean(value) or [])
        codes = {r.code for r in regions}
        return [r for r in regions if not ({r.province_code, r.city_code} - {"", r.code}) & codes]
