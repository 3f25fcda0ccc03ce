"""System parameters (系统参数): typed, validated values that administrators change at run time.

Each app declares its parameters in ``apps/<app>/params.py`` as ``PARAMS = [Param(...)]``. Values live in
``SystemParameter`` rows (absent row → the declared default); every change writes a
``SystemParameterChange``. ``param_get`` reads the database each time it is called (one indexed
query), so a change is effective at once in every process without a restart; hot loops read
``params_get_many`` once per run.
"""
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


@dataclass(frozen=True)
class Param:
    key: str
    label: str
    kind: str  # int | decimal | bool | str
    default: object
    group: str = "通用参数"
    description: str = ""
    minimum: object = None
    maximum: object = None
    unit: str = ""
    # how a value reads to a person (e.g. a list of codes as their names); bool reads 是/否 without it
    display: object = None

    def parse(self, raw) -> object:
        """Text from a form or stored JSON → typed value; raises ValidationError in Chinese."""
        try:
            if self.kind == "int":
                value = int(str(raw).strip())
            elif self.kind == "decimal":
                value = Decimal(str(raw).strip())
                if not value.is_finite():
                    raise InvalidOperation
            elif self.kind == "bool":
                text = str(raw).strip().lower()
                if text not in {"true", "false", "1", "0", "on", "off", "是", "否"}:
                    raise ValueError
                value = text in {"true", "1", "on", "是"}
            else:
                value = str(raw).strip()
        except (ValueError, InvalidOperation):
            kinds = {"int": _("整数"), "decimal": _("数字"), "bool": _("是/否")}
            raise ValidationError(_("“%(label)s”应为%(kind)s。") % {"label": self.label, "kind": kinds.get(self.kind, "")})
        if self.minimum is not None and value < self.minimum:
            raise ValidationError(_("“%(label)s”不能小于 %(min)s。") % {"label": self.label, "min": self.minimum})
        if self.maximum is not None and value > self.maximum:
            raise ValidationError(_("“%(label)s”不能大于 %(max)s。") % {"label": self.label, "max": self.maximum})
        return value

    def dump(self, value) -> str:
        return str(value).lower() if self.kind == "bool" else str(value)

    def show(self, value) -> str:
        """``value`` as users think of it: 是/否, a list with its labels, a number with its unit."""
        if self.display is not None:
            text = self.display(value)
        elif self.kind == "bool":
            text = _("是") if value else _("否")
        else:
            text = str(value)
        return f"{text} {self.unit}" if self.unit else text

    def show_stored(self, raw: str) -> str:
        """A stored text (a change record's old or new value) as users think of it."""
        try:
            return self.show(self.parse(raw))
        except ValidationError:
            return raw


def declared_params() -> dict[str, Param]:
    from .discovery import app_modules

    found: dict[str, Param] = {}
    for _config, module in app_modules("params"):
        for p in getattr(module, "PARAMS", []):
            if p.key in found:
                raise ValueError(f"parameter {p.key} declared twice")
            found[p.key] = p
    return found


def params_get_many(keys=None) -> dict[str, object]:
    from .models import SystemParameter

    spec = declared_params()
    keys = list(spec) if keys is None else list(keys)
    stored = dict(SystemParameter.objects.filter(key__in=keys).values_list("key", "value"))
    return {k: spec[k].parse(stored[k]) if k in stored else spec[k].default for k in keys}


def param_get(key: str):
    return params_get_many([key])[key]


def param_set(*, key: str, raw, user, reason: str = "") -> object:
    """Validate and store a new value; records who changed it, from what, to what."""
    from django.db import transaction

    from .models import SystemParameter, SystemParameterChange

    spec = declared_params()[key]
    value = spec.parse(raw)
    with transaction.atomic():
        row = SystemParameter.objects.select_for_update().filter(key=key).first()
        old = row.value if row else spec.dump(spec.default)
        new = spec.dump(value)
        if row is None:
            SystemParameter.objects.create(key=key, value=new, updated_by=user)
        elif row.value != new:
            row.value, row.updated_by = new, user
            row.save(update_fields=["value", "updated_by", "updated_at"])
        if old != new:
            SystemParameterChange.objects.create(key=key, old_value=old, new_value=new, changed_by=user, reason=reason)
    return value
