"""get_FOO_display through the cached label table gives what Django's own does, in every language."""
import pytest
from django.apps import apps
from django.db import models
from django.utils import translation
from django.utils.encoding import force_str
from django.utils.hashable import make_hashable

from apps.common.models import FastChoiceDisplay, choice_label


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


def test_models_display_through_the_table_in_the_active_language():
    from apps.applications.models import Application, StatusChange

    assert issubclass(Application, FastChoiceDisplay) and issubclass(StatusChange, FastChoiceDisplay)
    app = Application(status="cs_review")
    assert app.get_status_display() == "待客服审核"
    field = Application._meta.get_field("status")
    for lang in ("zh-hans", "en"):
        with translation.override(lang):
            for value, _label in field.choices:
                app.status = value
                assert app.get_status_display() == models.Model._get_FIELD_display(app, field)
