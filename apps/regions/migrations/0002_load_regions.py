from django.db import migrations


def load(apps, schema_editor):
    from apps.regions.services import regions_load

    regions_load(region_model=apps.get_model("regions", "Region"))


class Migration(migrations.Migration):
    dependencies = [("regions", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
