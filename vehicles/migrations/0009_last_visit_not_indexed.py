"""Drop the index of the vehicle's last visit: every redemption and visit updates that column, and
the index made each such UPDATE write a new entry in all nine of the table's indexes instead of a
HOT update; no query uses it (config/field_indexes.py)."""

from django.db import migrations, models

from config.field_indexes import field_indexes_dropped

INDEXES = [("vehicles_vehicle", "last_visit_at")]

STATE = [
    migrations.AlterField(
        model_name="vehicle",
        name="last_visit_at",
        field=models.DateTimeField(blank=True, null=True, verbose_name="last visit"),
    ),
]


class Migration(migrations.Migration):
    atomic = False  # DROP INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [
        ("vehicles", "0008_drop_indexes_covered_by_composites"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=STATE, database_operations=[field_indexes_dropped(INDEXES)]
        )
    ]
