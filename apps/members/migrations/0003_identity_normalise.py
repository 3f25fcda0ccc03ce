"""Normalise members' ID and mobile numbers stored before they had to be ASCII (full-width digits folded,
'x' → 'X'). Where that would give two members one ID number (the same person registered twice, once in
full-width digits), nothing is merged: the rows stay as they are, flagged (identity_conflict), and are listed by
``python manage.py identity_duplicates`` and on /platform/identity-duplicates/. Its own transaction: the
constraints come in the next migration."""
from django.db import migrations

from apps.common.identity import normalise_members


def forwards(apps, schema_editor):
    normalise_members(apps.get_model("members", "Member"))


class Migration(migrations.Migration):

    dependencies = [
        ("members", "0002_identity_conflict"),
    ]

    operations = [
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
