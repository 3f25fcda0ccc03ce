"""get_FOO_display through the cached label table gives what Django's own does, in every language."""
import pytest
from django.apps import apps
from django.db import models
from django.utils import translation
from django.utils.encoding import force_str
from django.utils.hashable import make_hashable

from apps.common.models import _display, choice_label


def _fields_with_choices():
    return [(m, f) for m in apps.get_models() for f in m._meta.concrete_fields if f.choices]


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_labels_match_djangos_for_every_choice_field(lang):
    with translation.override(lang):
        checked = 0
        for _model, field in _fields_with_choices():
            expected = {k: force_str(v) for k, v in dict(make_hashable(field.flatchoices)).items()}
            for value, label in expected.items():
                assert choice_label(field, value) == label
                checked += 1
            assert choice_label(field, "no-such-value") == "no-such-value"
        assert checked > 50


def test_every_project_model_displays_through_the_table():
    for model, field in _fields_with_choices():
        if model.__module__.startswith("apps."):
            method = model.__dict__[f"get_{field.name}_display"]
            assert method.func is _display and method.keywords == {"field": field}, (model, field.name)


def test_models_display_through_the_table_in_the_active_language():
    from apps.applications.models import Application, StatusChange
    from apps.positions.models import Hold

    for obj, name in ((Application(), "status"), (StatusChange(), "to_status"), (Hold(), "status")):
        field = type(obj)._meta.get_field(name)
        for lang in ("zh-hans", "en"):
            with translation.override(lang):
                for value, _label in field.choices:
                    setattr(obj, field.attname, value)
                    assert getattr(obj, f"get_{name}_display")() == models.Model._get_FIELD_display(obj, field)
    assert Application(status="cs_review").get_status_display() == "待客服审核"
