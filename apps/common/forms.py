"""Form fields shared by the apps."""
from django import forms
from django.forms.models import ModelChoiceIterator


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
