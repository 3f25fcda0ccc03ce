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
