"""What a person types on a Chinese keyboard, at the form boundary (issue 17 §1): full-width folded to ASCII and
shown back so, any other non-ASCII digit or letter refused in Chinese, and every form of the project declares its
identifiers, amounts, counts and dates with the shared typed fields (the walk below fails on a new plain one)."""
import importlib
import inspect
from decimal import Decimal

import django_filters
import pytest
from django import forms
from django.apps import apps as django_apps

from apps.common.forms import (AmountField, CreditCodeField, DecimalNumberField, IntegerNumberField, MobileField,
                               ResidentIdField, SearchField, TypedDateField, TypedInput)


class Sample(forms.Form):
    amount = AmountField()
    id_number = ResidentIdField()
    credit_code = CreditCodeField(required=False)
    mobile = MobileField()
    day = TypedDateField()
    months = IntegerNumberField(min_value=1)
    rate = DecimalNumberField(max_digits=6, decimal_places=3, required=False)
    q = SearchField(required=False)


GOOD = {"amount": "100", "id_number": "11010519491231002X", "mobile": "13800138000", "day": "2026-12-01",
        "months": "12"}


def errors(**data):
    form = Sample({**GOOD, **data})
    form.is_valid()
    return form


def test_full_width_input_is_folded_to_ascii():
    form = errors(amount="１２３．４５", id_number="１１０１０５ １９４９１２３１ ００２ｘ", mobile="１３８－００１３－８０００",
                  day="２０２６－１２－０１", months="１２", rate="６．５", credit_code="９１３５０１００Ｍ０００１００Ｙ４３",
                  q="张三　１３８")
    assert form.errors == {}
    d = form.cleaned_data
    assert d["amount"] == Decimal("123.45") and d["id_number"] == "11010519491231002X"
    assert d["mobile"] == "13800138000" and str(d["day"]) == "2026-12-01" and d["months"] == 12
    assert d["rate"] == Decimal("6.5") and d["credit_code"] == "91350100M000100Y43" and d["q"] == "张三 138"


def test_the_form_shows_the_folded_value_back():
    form = errors(amount="abc", id_number="１１０１０５１９４９１２３１００２ｘ", mobile="１３８")
    html = str(form)
    assert 'value="11010519491231002X"' in html and 'value="138"' in html
    assert "１" not in html


@pytest.mark.parametrize("field,typed,char", [
    ("amount", "1²3", "²"), ("amount", "١٢٣", "١"), ("amount", "①", "①"), ("months", "١٢", "١"),
    ("id_number", "1101051949123100²X", "²"), ("mobile", "1380013800٠", "٠"), ("day", "٢٠٢٦-12-01", "٢"),
    ("amount", "12\u200b3", "U+200B"),
])
def test_other_non_ascii_digits_are_refused_in_chinese(field, typed, char):
    form = errors(**{field: typed})
    assert f"“{char}”" in form.errors[field][0] and "半角" in form.errors[field][0]


@pytest.mark.parametrize("typed,message", [
    ("0.001", "金额最多两位小数。"), ("12.345", "金额最多两位小数。"), ("0", "金额必须大于 0。"),
    ("-5", "金额必须大于 0。"), ("1234567890123", "金额过大，请核对。"), ("NaN", "请输入正确的金额，如 5000.00。"),
])
def test_amount_messages_say_what_is_wrong_and_only_that(typed, message):
    assert errors(amount=typed).errors["amount"] == [message]


def test_trailing_zeros_beyond_two_places_are_still_an_amount():
    assert errors(amount="1.230").cleaned_data["amount"] == Decimal("1.23")


# ---- every form of the project ----

NUMBER_FIELDS = (forms.DecimalField, forms.IntegerField, forms.FloatField, forms.DateField, forms.DateTimeField,
                 forms.TimeField)
IDENTIFIER_NAMES = ("id_number", "credit_code", "mobile", "contact_mobile", "head_mobile", "bank_reference",
                    "contact_phone", "order_no", "region_code")


def project_form_classes():
    """Every Form, ModelForm and FilterSet class defined in the project's apps (their modules imported)."""
    found = {}
    for config in django_apps.get_app_configs():
        if not config.name.startswith("apps."):
            continue
        for name in ("forms", "filters", "views", "views_admin", "views_onboarding", "views_profile"):
            try:
                module = importlib.import_module(f"{config.name}.{name}")
            except ModuleNotFoundError as exc:
                if exc.name != f"{config.name}.{name}":
                    raise
                continue
            for obj in vars(module).values():
                if inspect.isclass(obj) and obj.__module__.startswith("apps.") and (
                        issubclass(obj, forms.BaseForm) or issubclass(obj, django_filters.FilterSet)):
                    found[f"{obj.__module__}.{obj.__qualname__}"] = obj
    return found


def declared_fields(cls):
    if issubclass(cls, django_filters.FilterSet):
        return {name: f.field_class for name, f in cls.base_filters.items()}
    return dict(cls.base_fields)


def test_the_walk_finds_the_forms_of_every_area():
    names = project_form_classes()
    for expected in ("apps.members.forms.MemberForm", "apps.accounts.forms.VerificationForm",
                     "apps.accounts.forms.JoinForm", "apps.accounts.forms.InstitutionCreateForm",
                     "apps.cases.forms.DisburseForm", "apps.positions.forms.OfflineRechargeForm",
                     "apps.positions.forms.JournalFilter", "apps.products.forms.ProductForm"):
        assert expected in names
    assert len(names) > 50


def test_every_number_date_and_identifier_field_reads_chinese_keyboard_input():
    plain = []
    for label, cls in sorted(project_form_classes().items()):
        for name, field in declared_fields(cls).items():
            field_class = field if inspect.isclass(field) else type(field)
            typed = issubclass(field_class, TypedInput)
            if issubclass(field_class, NUMBER_FIELDS) and not typed:
                plain.append(f"{label}.{name} ({field_class.__name__})")
            elif name in IDENTIFIER_NAMES and issubclass(field_class, forms.CharField) and not typed:
                plain.append(f"{label}.{name} ({field_class.__name__})")
    assert plain == [], "declare these with the fields of apps.common.forms: " + ", ".join(plain)


@pytest.mark.parametrize("field,typed,message", [("amount", "一百", "请输入正确的金额，如 5000.00。"),
                                                 ("day", "明天", "请输入有效的日期。")])
def test_a_number_or_date_in_words_gets_the_fields_own_message(field, typed, message):
    assert errors(**{field: typed}).errors[field] == [message]
