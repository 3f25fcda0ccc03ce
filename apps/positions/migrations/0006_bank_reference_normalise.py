"""Bank references stored before they had to be ASCII: full-width characters folded (apps.common.identity).
Its own transaction: the CHECK constraint comes in the next migration."""
from django.db import migrations

from apps.common.identity import normalise_references


def forwards(apps, schema_editor):
    normalise_references(apps.get_model("positions", "Recharge"), "bank_reference")


class Migration(migrations.Migration):

    dependencies = [
        ("positions", "0005_online_providers"),
    ]

    operations = [
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
