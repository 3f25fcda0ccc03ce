"""Form fields shared by the apps."""
import unicodedata
from decimal import Decimal

import django_filters
from django import forms
from django.core.validators import DecimalValidator
from django.forms.models import ModelChoiceIterator
from django.utils.translation import gettext_lazy as _

from .validators import fold_fullwidth, refuse_non_ascii, validate_resident_id, validate_uscc


class _ListIterator(ModelChoiceIterator):
    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset.all():  # one plain SELECT (Django's iterator() opens a server-side cursor)
            yield self.choice(obj)


class SmallModelChoiceField(forms.ModelChoiceField):
    """A ModelChoiceField over a short table (products, a few dozen rows) for filter forms drawn on every list
    page: its options are read with one SELECT instead of DECLARE/FETCH/CLOSE of a server-side cursor."""

    iterator = _ListIterator


# ---- what a person types on a Chinese keyboard ----
# One normalisation at the form boundary for every identifier and number (ID numbers, credit codes, mobile
# numbers, bank references, amounts, counts, dates typed as text): full-width digits, letters and punctuation
# ('１２３．４５', 'ｘ', '－', the ideographic space) are folded to ASCII, and the page shows the folded value back
# (``bound_data``); any other character outside ASCII (a superscript ², a circled ①, Arabic-Indic ٣…) is
# refused with a Chinese message before Django's own parsing, which would read some of them as digits
# (``int("٣") == 3``) and choke on others. apps.common.tests.test_typed_input walks every form of the project
# and fails when a number, date or identifier field is declared without this mixin.


class TypedInput:
    """Mixin for a form field: fold full-width input to ASCII, refuse other non-ASCII characters."""

    squeeze = ""        # characters dropped anywhere in the value ("" keeps inner spaces)
    upper = False       # identifiers are stored in upper case ('x' → 'X')
    ascii_only = True   # free-text search boxes fold but accept Chinese names

    def fold(self, value):
        if not isinstance(value, str):
            return value
        text = fold_fullwidth(value).strip()
        if self.squeeze:
            text = "".join(ch for ch in text if not ch.isspace() and ch not in self.squeeze)
        return text.upper() if self.upper else text

    def to_python(self, value):
        value = self.fold(value)
        if self.ascii_only and isinstance(value, str):
            if isinstance(self, forms.CharField) or any(
                    not ch.isascii() and unicodedata.category(ch)[0] in "NCZ" for ch in value):
                refuse_non_ascii(value)  # names the digit or invisible character: "“²”不是可识别的数字或字母…"
            elif not value.isascii():  # a number or date written in words ("明天"): the field's own message
                raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)

    def bound_data(self, data, initial):
        return super().bound_data(self.fold(data), initial)


class AsciiCharField(TypedInput, forms.CharField):
    """A code typed by a person (order numbers, region codes, bank references, phone numbers): ASCII only."""


class SearchField(TypedInput, forms.CharField):
    """A search box where a name or a number may be typed: full-width folded, anything else kept."""

    ascii_only = False


class ResidentIdField(TypedInput, forms.CharField):
    """18-digit resident ID (GB 11643); spaces between the groups are dropped, 'x' becomes 'X'. The length is the
    validator's message (no max_length: "最多 18 个字" would repeat it, and count the spaces people type)."""

    squeeze, upper = " ", True
    default_validators = [validate_resident_id]

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.widget.attrs["maxlength"] = "22"  # room for the spaces people type between the groups


class CreditCodeField(ResidentIdField):
    """统一社会信用代码 (GB 32100): authority, category and check characters validated."""

    default_validators = [validate_uscc]


class MobileField(TypedInput, forms.CharField):
    """11-digit mainland mobile number; spaces and hyphens people type between the groups are dropped."""

    squeeze = " -"

    def __init__(self, **kwargs):
        from apps.accounts.models import mobile_validator

        kwargs.setdefault("validators", [mobile_validator])
        super().__init__(**kwargs)
        self.widget.attrs["maxlength"] = "15"


AMOUNT_MESSAGES = {
    "invalid": _("请输入正确的金额，如 5000.00。"),
    "max_decimal_places": _("金额最多两位小数。"),
    "max_digits": _("金额过大，请核对。"),
    "max_whole_digits": _("金额过大，请核对。"),
    "min_value": _("金额必须大于 0。"),
}


class DecimalNumberField(TypedInput, forms.DecimalField):
    """A decimal typed by a person (rates, weights). The number of decimals is checked first, alone: '0.001'
    says "最多三位小数", not also "必须大于 0"; trailing zeros beyond the places are accepted ('1.230')."""

    def to_python(self, value):
        value = super().to_python(value)
        if value is not None and self.decimal_places is not None and value.is_finite() \
                and -value.as_tuple().exponent > self.decimal_places:
            trimmed = value.quantize(Decimal(1).scaleb(-self.decimal_places))
            if trimmed == value:
                return trimmed
            message = self.error_messages.get("max_decimal_places",
                                              DecimalValidator.messages["max_decimal_places"])
            raise forms.ValidationError(message, code="max_decimal_places",
                                        params={"max": self.decimal_places, "value": value})
        return value


class AmountField(DecimalNumberField):
    """An amount in yuan: up to two decimals, 12 digits before the point, above zero unless told otherwise."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 2)
        if "min_value" not in kwargs:
            kwargs["min_value"] = Decimal("0.01")
        kwargs["error_messages"] = {**AMOUNT_MESSAGES, **kwargs.get("error_messages", {})}
        super().__init__(**kwargs)


class IntegerNumberField(TypedInput, forms.IntegerField):
    """A whole number typed by a person (months, counts, minutes)."""


class TypedDateField(TypedInput, forms.DateField):
    """A date (typed as text where the browser has no date picker: '２０２６－１２－０１' is read)."""


class TypedDateTimeField(TypedInput, forms.DateTimeField):
    """A date and time ('2026-12-01T10:00' from datetime-local, or typed)."""


class TypedDateFilter(django_filters.DateFilter):
    """A django-filter date filter reading full-width digits like the forms."""

    field_class = TypedDateField


class SearchFilter(django_filters.CharFilter):
    """A django-filter search box: full-width folded (a mobile number typed '１３８…' finds '138…')."""

    field_class = SearchField


def typed_formfield(db_field, **kwargs):
    """``formfield_callback`` of model forms: the model's number and date columns as typed-input fields."""
    from django.db import models

    classes = [(models.DecimalField, DecimalNumberField), (models.IntegerField, IntegerNumberField),
               (models.DateTimeField, TypedDateTimeField), (models.DateField, TypedDateField)]
    for model_class, form_class in classes:
        if isinstance(db_field, model_class) and not db_field.choices:
            kwargs.setdefault("form_class", form_class)
            break
    return db_field.formfield(**kwargs)
