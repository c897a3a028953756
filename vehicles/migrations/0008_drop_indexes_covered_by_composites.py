"""Drop the index of the mileage reading's vehicle key: (vehicle, recorded_at) leads with it, and each
redemption with a reading wrote it for no lookup (config/field_indexes.py).
"""

import django.db.models.deletion
from django.db import migrations, models

from config.field_indexes import field_indexes_dropped

INDEXES = [("vehicles_mileagereading", "vehicle_id")]

STATE = [
    migrations.AlterField(
        model_name="mileagereading",
        name="vehicle",
        field=models.ForeignKey(
            db_index=False,
            on_delete=django.db.models.deletion.CASCADE,
            related_name="mileage_readings",
            to="vehicles.vehicle",
            verbose_name="vehicle",
        ),
    ),
]


class Migration(migrations.Migration):
    atomic = False  # DROP INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [
        ("vehicles", "0007_vehicle_alerts"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=STATE, database_operations=[field_indexes_dropped(INDEXES)]
        )
    ]
