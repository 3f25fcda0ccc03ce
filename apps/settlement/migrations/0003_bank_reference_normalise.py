"""Bank references stored before they had to be ASCII: full-width characters folded (apps.common.identity).
Its own transaction: the CHECK constraint comes in the next migration."""
from django.db import migrations

from apps.common.identity import normalise_references


def forwards(apps, schema_editor):
    normalise_references(apps.get_model("settlement", "Settlement"), "bank_reference")


class Migration(migrations.Migration):

    dependencies = [
        ("settlement", "0002_commission_confirmation_agreement_periods"),
    ]

    operations = [
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
