from typing import ClassVar

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


class RegionCascadeWidget(forms.Widget):
    """省/市/区 as three linked ``<select>``s (static/js/region-cascade.js, no CDN): nobody types a code.

    The district select posts as ``<name>``, the province and city selects as ``<name>_province`` and
    ``<name>_city``; the value is the deepest code chosen whose parents agree, so ``depth`` 1–3 stops the cascade
    at province, city or district. The options of the chosen province and city are drawn on the server (the page
    reads right before any script runs); the script reloads the lists on a change from ``/regions.json``."""

    LEVELS = ("province", "city", "district")
    wide = True  # a filter row gives it the room of two boxes
    PROMPTS: ClassVar[dict[str, str]] = {"province": "省份", "city": "城市", "district": "区县"}

    def __init__(self, attrs=None, *, depth: int = 3, blank: str = "请选择"):
        super().__init__(attrs)
        self.depth, self.blank = depth, blank

    def id_for_label(self, id_):
        return f"{id_}_province" if id_ else id_

    @staticmethod
    def _names(name):
        return {"province": f"{name}_province", "city": f"{name}_city", "district": name}

    def value_from_datadict(self, data, files, name):
        """The deepest code chosen below a chosen parent (a code typed in a link, ``?region=4403``, still works)."""
        province, city, district = (str(data.get(n) or "").strip() for n in
                                    (f"{name}_province", f"{name}_city", name))
        if not province:
            return district  # only the code itself was sent (a link, an API-like post)
        value = province
        if city and city.startswith(province[:2]):
            value = city
            if district and self.depth >= 3 and district.startswith(city[:4]):
                value = district
        return value

    def value_omitted_from_data(self, data, files, name):
        return not any(n in data for n in (name, f"{name}_province", f"{name}_city"))

    def render(self, name, value, attrs=None, renderer=None):
        from django.templatetags.static import static
        from django.urls import reverse
        from django.utils.html import format_html, format_html_join

        from .selectors import province_rows, region_chain

        attrs = self.build_attrs(self.attrs, attrs)
        dom_id = attrs.get("id") or f"id_{name}"
        css = attrs.get("class", "")
        size = " form-select-sm" if "-sm" in css else ""
        invalid = " is-invalid" if "is-invalid" in css else ""
        chain = region_chain(str(value) if value else "")
        chosen = {self.LEVELS[r.level - 1]: r for r in chain if 1 <= r.level <= 3}
        parents = {"province": None, "city": chosen.get("province"), "district": chosen.get("city")}
        selects = []
        for level in self.LEVELS[: self.depth]:
            parent = parents[level]
            if level == "province":
                options = province_rows()
            elif parent is not None:
                options = list(Region.objects.filter(parent=parent, is_active=True).order_by("code")
                               .values_list("code", "name"))
            else:
                options = []
            picked = chosen.get(level)
            html_options = format_html_join(
                "", '<option value="{}"{}>{}</option>',
                ((code, " selected" if picked is not None and code == picked.code else "", label)
                 for code, label in options))
            select_id = dom_id if level == "district" else f"{dom_id}_{level}"
            field_name = self._names(name)[level]
            selects.append(format_html(
                '<select class="form-select{}{}" id="{}" name="{}" data-level="{}" aria-label="{}"{}>'
                '<option value="">{}</option>{}</select>',
                size, invalid, select_id, field_name, level, self.PROMPTS[level],
                "" if level == "province" or parent is not None else " disabled",
                f"{self.blank}{self.PROMPTS[level]}" if self.blank else self.PROMPTS[level], html_options))
        return format_html(
            '<div class="region-cascade" data-region-cascade data-src="{}" data-depth="{}" '
            'data-blank="{}" role="group">{}</div><script src="{}" defer></script>',
            reverse("region_tree_json"), self.depth, self.blank, format_html_join("", "{}", ((s,) for s in selects)),
            static("js/region-cascade.js"))


def _ascii_char_field():
    from apps.common.forms import AsciiCharField

    return AsciiCharField


class RegionCodeField(_ascii_char_field()):
    """A region code picked with the 省/市/区 cascader (never typed); still the typed ASCII code field, so the
    server validates what arrives (a crafted post, a link with ``?region=4403``)."""

    def __init__(self, *, depth: int = 3, blank: str = "请选择", **kwargs):
        kwargs.setdefault("max_length", 12)
        kwargs.setdefault("widget", RegionCascadeWidget(depth=depth, blank=blank))
        super().__init__(**kwargs)
