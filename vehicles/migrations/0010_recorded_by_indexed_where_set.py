"""Mileage readings index who recorded them only where set: partner and imported readings have no
staff user, so their inserts write one entry fewer (config/field_indexes.py).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from config.field_indexes import field_indexes_made_partial, index_of_set_values

INDEXES = [
    index_of_set_values("recorded_by", name="mileage_recorded_by_set"),
]

STATE = [
    migrations.AlterField(
        model_name="mileagereading",
        name="recorded_by",
        field=models.ForeignKey(
            blank=True,
            db_index=False,
            null=True,
            on_delete=django.db.models.deletion.SET_NULL,
            related_name="+",
            to=settings.AUTH_USER_MODEL,
            verbose_name="recorded by",
        ),
    ),
    *(migrations.AddIndex(model_name="mileagereading", index=index) for index in INDEXES),
]


class Migration(migrations.Migration):
    atomic = False  # CREATE / DROP INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [
        ("vehicles", "0009_last_visit_not_indexed"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=STATE,
            database_operations=[field_indexes_made_partial("vehicles", "mileagereading", INDEXES)],
        )
    ]
