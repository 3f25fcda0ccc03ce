"""Django's own Chinese messages, overridden by the project's locale (issue 17 §6), and every error message of
every form of the project walked for ASCII sentence punctuation, untranslated English and the known bad
strings of Django's zh_Hans catalogue."""
import ast
import gettext
import re
from pathlib import Path

import django_filters
import pytest
from django import forms
from django.conf import settings
from django.utils import translation

from apps.common.tests.test_typed_input import project_form_classes

LOCALE = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES"
BAD = ["这个字段是必填项", "不允许是用空字符串", "确认总共不超过", "确认小数不超过", "确保该变量", "确保该值",
       "输入一个有效的", "选择一个有效的选项", "。 "]
CJK = r"[\u3400-\u9fff\uff01-\uff5e（）“”、，。；：]"
ASCII_SENTENCE_PUNCTUATION = re.compile(rf"(?<={CJK})[.,;:!?]|(?<={CJK}) [.,;:!?]|[,;:!?]$|(?<![0-9.])\.$")


def read_po(path: Path) -> dict:
    """msgid (or (msgid, n) for plural forms) → msgstr of a .po file (the subset of the format we write)."""
    entries, key, current = {}, None, {}
    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        if not line.strip() or line.startswith("#"):
            if current.get("msgid") and current.get("msgstr") is not None:
                entries[current["msgid"]] = current["msgstr"]
            if current.get("msgstr[0]") is not None:
                entries[(current["msgid"], 0)] = current["msgstr[0]"]
            current, key = ({}, None) if not line.strip() else (current, key)
            continue
        match = re.match(r'^(msgid|msgid_plural|msgstr|msgstr\[0\]) "(.*)"$', line)
        if match:
            key, text = match.groups()
            current[key] = ""
        else:
            text = re.match(r'^"(.*)"$', line).group(1)
        current[key] += text.replace('\\"', '"').replace("\\n", "\n")
    return entries


def test_the_compiled_catalogue_is_the_source():
    """locale/zh_Hans/LC_MESSAGES/django.mo is committed; it must say what django.po says."""
    source = read_po(LOCALE / "django.po")
    with open(LOCALE / "django.mo", "rb") as fh:
        compiled = gettext.GNUTranslations(fh)._catalog
    compiled = {k: v for k, v in compiled.items() if k != ""}
    source = {k: v for k, v in source.items() if k != ""}
    assert {(k[0] if isinstance(k, tuple) else k): v for k, v in compiled.items()} == \
        {(k[0] if isinstance(k, tuple) else k): v for k, v in source.items()}


@pytest.mark.parametrize("english,chinese", [
    ("This field is required.", "此项为必填项。"),
    ("Null characters are not allowed.", "不能包含空字符（NUL）。"),
    ("Enter a whole number.", "请输入整数。"),
    ("Select a valid choice. That choice is not one of the available choices.", "请选择有效的选项，所选项不在可选范围内。"),
])
def test_django_strings_read_well_in_chinese(english, chinese):
    with translation.override("zh-hans"):
        assert translation.gettext(english) == chinese


def test_plural_strings_and_a_real_decimal_field():
    with translation.override("zh-hans"):
        field = forms.DecimalField(max_digits=14, decimal_places=2)
        with pytest.raises(forms.ValidationError) as err:
            field.clean("123456789012345.1")
        assert err.value.messages == ["数字总共不能超过 14 位。"]
        with pytest.raises(forms.ValidationError) as err:
            forms.CharField().clean("")
        assert err.value.messages == ["此项为必填项。"]
        with pytest.raises(forms.ValidationError) as err:
            forms.CharField().clean("a\x00b")
        assert err.value.messages == ["不能包含空字符（NUL）。"]


class Params(dict):
    def __missing__(self, key):
        return 1


def field_messages(field) -> list:
    out = list(field.error_messages.values())
    for validator in field.validators:
        out += [getattr(validator, "message", None)] + list(getattr(validator, "messages", {}).values())
    return [m for m in out if m]


def form_fields(cls):
    if issubclass(cls, django_filters.FilterSet):
        return {name: f.field for name, f in cls.base_filters.items()}
    fields = dict(cls.base_fields)
    model = getattr(getattr(cls, "_meta", None), "model", None)
    if model is not None:  # a model form also shows the model's messages (unique, null, blank, choices)
        for f in model._meta.get_fields():
            if hasattr(f, "error_messages") and f.name in fields:
                fields[f"{f.name} (model)"] = f
    return fields


def test_every_form_message_reads_as_chinese_without_ascii_sentence_punctuation():
    problems, seen = [], 0
    with translation.override("zh-hans"):
        for label, cls in sorted(project_form_classes().items()):
            for name, field in form_fields(cls).items():
                for message in field_messages(field):
                    try:  # a lazy plural takes its number from the parameters
                        text = str(message % Params())
                    except (TypeError, ValueError, KeyError):
                        text = str(message)
                    seen += 1
                    if not re.search(r"[\u3400-\u9fff]", text):
                        problems.append(f"{label}.{name}: not Chinese: {text!r}")
                    elif ASCII_SENTENCE_PUNCTUATION.search(text) or any(bad in text for bad in BAD):
                        problems.append(f"{label}.{name}: {text!r}")
    assert seen > 300
    assert problems == []


def project_chinese_literals():
    """Every string literal with Chinese in the project's code (not tests, not migrations)."""
    root = Path(settings.BASE_DIR) / "apps"
    for path in sorted(root.rglob("*.py")):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Expr)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings \
                    and re.search(r"[\u3400-\u9fff]", node.value):
                yield f"{path.relative_to(root)}:{node.lineno}", node.value


def test_the_projects_own_messages_use_chinese_punctuation():
    """What the services and views say (their ValidationErrors and flash messages) is checked the same way."""
    bad = [f"{where}: {text!r}" for where, text in project_chinese_literals()
           if re.search(rf"(?<={CJK})[,;!?]|(?<=[\u3400-\u9fff])\.(?![0-9a-z])", text) or any(b in text for b in BAD[:8])]
    assert bad == []
