"""Drop the single-column indexes of four foreign keys that lead a composite index or unique
constraint already (redemption: voucher, vehicle, dealer; idempotency record: API key): each
redemption and each stored answer wrote them for no lookup (config/field_indexes.py).
"""

import django.db.models.deletion
from django.db import migrations, models

from config.field_indexes import field_indexes_dropped

INDEXES = [
    ("redemption_idempotencyrecord", "api_key_id"),
    ("redemption_redemption", "dealer_id"),
    ("redemption_redemption", "vehicle_id"),
    ("redemption_redemption", "voucher_id"),
]

STATE = [
    migrations.AlterField(
        model_name="idempotencyrecord",
        name="api_key",
        field=models.ForeignKey(
            db_index=False,
            on_delete=django.db.models.deletion.CASCADE,
            related_name="idempotency_records",
            to="redemption.apikey",
        ),
    ),
    migrations.AlterField(
        model_name="redemption",
        name="dealer",
        field=models.ForeignKey(
            db_index=False,
            on_delete=django.db.models.deletion.PROTECT,
            related_name="redemptions",
            to="members.dealer",
            verbose_name="dealer",
        ),
    ),
    migrations.AlterField(
        model_name="redemption",
        name="vehicle",
        field=models.ForeignKey(
            db_index=False,
            on_delete=django.db.models.deletion.PROTECT,
            related_name="redemptions",
            to="vehicles.vehicle",
            verbose_name="vehicle",
        ),
    ),
    migrations.AlterField(
        model_name="redemption",
        name="voucher",
        field=models.ForeignKey(
            db_index=False,
            on_delete=django.db.models.deletion.PROTECT,
            related_name="redemptions",
            to="vouchers.voucher",
            verbose_name="voucher",
        ),
    ),
]


class Migration(migrations.Migration):
    atomic = False  # DROP INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [
        ("members", "0007_referral_moved_to_loyalty"),
        ("redemption", "0008_redemption_api_key_backfill"),
        ("vehicles", "0008_drop_indexes_covered_by_composites"),
        ("vouchers", "0014_issue_batch_row_partial_indexes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=STATE, database_operations=[field_indexes_dropped(INDEXES)]
        )
    ]
