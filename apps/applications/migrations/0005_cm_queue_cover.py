# A customer manager's list reads its deep pages from the index alone: the covering index replaces app_cm_created.
# Built CONCURRENTLY (no write lock on the applications table while it builds), hence atomic = False.
from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [('applications', '0004_queue_indexes')]

    operations = [
        AddIndexConcurrently(
            model_name='application',
            index=models.Index(fields=['cm', '-created_at', '-id'], include=('organization', 'status', 'manual_intervention'),
                               name='app_cm_created_cover'),
        ),
        RemoveIndexConcurrently(
            model_name='application',
            name='app_cm_created',
        ),
    ]
