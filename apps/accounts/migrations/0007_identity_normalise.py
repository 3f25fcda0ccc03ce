"""Normalise the identifiers stored before they had to be ASCII: credit codes (upper case, full-width folded),
mobile numbers, ID numbers of institution verifications. Two institutions that already share a credit code are
not merged: both keep their rows as they are, flagged (identity_conflict), and are listed by
``python manage.py identity_duplicates`` and on /platform/identity-duplicates/. Its own transaction: the
constraints come in the next migration."""
import re

from django.db import migrations

from apps.common.identity import DIGITS, normalise_organizations, normalise_rows


def forwards(apps, schema_editor):
    normalise_organizations(apps.get_model("accounts", "Organization"))
    digits = re.compile(DIGITS)
    normalise_rows(apps.get_model("accounts", "User"), others=("mobile",), patterns={"mobile": digits})
    normalise_rows(apps.get_model("accounts", "InstitutionApplication"), others=("credit_code", "contact_mobile"),
                   patterns={"contact_mobile": digits})
    normalise_rows(apps.get_model("accounts", "RealNameVerification"), others=("id_number",))


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0006_identity_conflict"),
    ]

    operations = [
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
