"""Identifiers as they are stored: ASCII only (database CHECK constraints on every identifier column), and
the normalisation of rows stored before that rule — run by the data migrations and again by
``python manage.py identity_duplicates --recheck``.

Rows whose normalised identifier would collide with another row's (the same person registered twice, once in
full-width digits; two institutions given one credit code) are not merged and not changed: they keep their
value, get ``identity_conflict = True`` and are listed by ``identity_duplicates`` and on the platform page
身份标识重复核对 (/platform/identity-duplicates/) for an administrator to resolve. The CHECK and UNIQUE
constraints exempt exactly the flagged rows, so the constraint migrations succeed on such data and every other
row, old or new, is held to the rule."""
import re
import unicodedata
from collections import defaultdict

from .validators import fold_fullwidth, mask_id

CODE = r"^[0-9A-Z]*$"     # ID numbers, credit codes: digits and upper-case letters
DIGITS = r"^[0-9]*$"      # mobile numbers
REFERENCE = r"^[ -~]*$"   # references typed by a person (bank transfer numbers): printable ASCII
_CODE, _DIGITS = re.compile(CODE), re.compile(DIGITS)


def stored_identifier(value: str) -> str:
    """An identifier stored before the rule, as it should be: full-width folded, any other decimal digit
    (Arabic-Indic, Devanagari… which Python's ``int`` and ``\\d`` accepted) as its ASCII digit, spaces removed,
    upper case. What is still not ASCII stays so (and is reported)."""
    out = []
    for ch in fold_fullwidth(value or ""):
        if ch.isspace():
            continue
        if not ch.isascii():
            try:
                ch = str(unicodedata.decimal(ch))
            except ValueError:
                pass
        out.append(ch)
    return "".join(out).upper()


def normalise_rows(model, *, unique: str | None = None, others: tuple[str, ...] = (), flag: str | None = None,
                   patterns: dict[str, re.Pattern] | None = None) -> dict[str, list[int]]:
    """Normalise ``unique`` and ``others`` columns of every row of ``model`` (a historical model in a migration,
    or the real one). Returns the conflict groups {normalised value: [pk, …]} of the ``unique`` column.

    Without ``flag`` a value that cannot be made ASCII stops the migration with the rows named (the forms never
    let such a value through: ``\\d`` and ``isdigit`` only accepted decimal digits, which map to ASCII)."""
    patterns = patterns or {}
    columns = ([unique] if unique else []) + list(others)
    rows = list(model.objects.order_by("pk").values("pk", *columns, *([flag] if flag else [])))
    groups: dict[str, list[int]] = defaultdict(list)
    if unique:
        for row in rows:
            value = stored_identifier(row[unique])
            if value:
                groups[value].append(row["pk"])
    conflicts = {value: pks for value, pks in groups.items() if len(pks) > 1}
    in_conflict = {pk for pks in conflicts.values() for pk in pks}
    bad = []
    for row in rows:
        changes, flagged = {}, row["pk"] in in_conflict
        for column in columns:
            value = stored_identifier(row[column])
            if not (patterns.get(column) or _CODE).match(value):
                flagged = True
            elif row["pk"] not in in_conflict and value != row[column]:
                changes[column] = value
        if flagged and not flag:
            bad.append(row["pk"])
            continue
        if flagged:
            changes = {}  # left exactly as stored, for a person to decide
        if flag and row[flag] != flagged:
            changes[flag] = flagged
        if changes:
            model.objects.filter(pk=row["pk"]).update(**changes)
    if bad:
        raise RuntimeError(f"{model._meta.label}: rows {bad} hold identifiers that cannot be made ASCII; "
                           f"correct them by hand, then migrate again")
    return conflicts


def normalise_members(member_model):
    return normalise_rows(member_model, unique="id_number", others=("mobile",), flag="identity_conflict",
                          patterns={"mobile": _DIGITS})


def normalise_organizations(organization_model):
    return normalise_rows(organization_model, unique="credit_code", others=("head_mobile",),
                          flag="identity_conflict", patterns={"head_mobile": _DIGITS})


def identity_conflicts() -> list[dict]:
    """The flagged rows, grouped by the identifier they would share once normalised (two queries): for the
    platform page and the management command."""
    from django.urls import reverse

    from apps.accounts.models import Organization
    from apps.members.models import Member

    groups: dict[tuple, dict] = {}
    for member in Member.objects.filter(identity_conflict=True).select_related("registered_by").order_by("pk"):
        key = ("member", stored_identifier(member.id_number))
        groups.setdefault(key, {"kind": "会员身份证号", "value": mask_id(key[1]), "rows": []})["rows"].append({
            "pk": member.pk, "name": member.real_name, "stored": member.id_number, "shown": mask_id(member.id_number),
            "ascii": member.id_number.isascii(), "created_at": member.created_at,
            "by": member.registered_by.display_name, "url": ""})  # personal data: the page shows it masked
    for org in Organization.objects.filter(identity_conflict=True).order_by("pk"):
        key = ("organization", stored_identifier(org.credit_code))
        groups.setdefault(key, {"kind": "机构统一社会信用代码", "value": key[1], "rows": []})["rows"].append({
            "pk": org.pk, "name": org.name, "stored": org.credit_code, "shown": org.credit_code,
            "ascii": org.credit_code.isascii(), "created_at": org.created_at, "by": org.code,
            "url": reverse("platform:organization_detail", kwargs={"pk": org.pk})})
    return list(groups.values())


def identity_recheck() -> list[dict]:
    """Normalise members and institutions again (after an administrator resolved a conflict, e.g. corrected one
    of the two ID numbers): rows no longer in conflict are normalised and unflagged. Returns what is left."""
    from django.db import connection, transaction

    from apps.accounts.models import Organization
    from apps.members.models import Member

    with transaction.atomic(), connection.cursor() as cur:
        # no registration or institution may be written while the groups are computed and applied
        cur.execute(f"LOCK TABLE {Organization._meta.db_table}, {Member._meta.db_table} IN SHARE ROW EXCLUSIVE MODE")
        normalise_members(Member)
        normalise_organizations(Organization)
    return identity_conflicts()


def normalise_references(model, column: str) -> None:
    """Fold full-width characters of a typed reference column (bank transfer numbers) stored before the ASCII
    rule. A value that is still not printable ASCII stops the migration with the rows named: such a reference was
    typed in words, and only a person who has the bank statement can say what it should read."""
    pattern, bad = re.compile(REFERENCE), []
    for pk, value in model.objects.exclude(**{f"{column}__regex": REFERENCE}).values_list("pk", column):
        folded = fold_fullwidth(value).strip()
        if pattern.match(folded):
            model.objects.filter(pk=pk).update(**{column: folded})
        else:
            bad.append(pk)
    if bad:
        raise RuntimeError(f"{model._meta.label}.{column}: rows {bad} hold references that cannot be made ASCII; "
                           f"correct them by hand from the bank statement, then migrate again")
