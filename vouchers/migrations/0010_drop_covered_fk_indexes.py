"""Drop the single-column indexes of five foreign keys that lead a composite index already
(voucher: definition, member, vehicle; ledger: voucher; batch row: batch). Each index only cost
inserts: bulk issuance writes every one of them per row.

Safe on a live table: Django's AlterField would drop and re-add each foreign key constraint (a
re-validation of the whole table under lock); here only the indexes go, with DROP INDEX
CONCURRENTLY on PostgreSQL (outside a transaction, so readers and writers go on).
"""

import django.db.models.deletion
from django.db import migrations, models

from config.field_indexes import field_indexes_dropped

# (table, column) of each dropped index; the names are Django's for a field's db_index.
INDEXES = [
    ("vouchers_issuebatchrow", "batch_id"),
    ("vouchers_ledgerentry", "voucher_id"),
    ("vouchers_voucher", "definition_id"),
    ("vouchers_voucher", "member_id"),
    ("vouchers_voucher", "vehicle_id"),
]


STATE = [
    migrations.AlterField(
        model_name="issuebatchrow",
        name="batch",
        field=models.ForeignKey(
            db_index=False,
            on_delete=django.db.models.deletion.CASCADE,
            related_name="rows",
            to="vouchers.issuebatch",
            verbose_name="bulk issuance",
        ),
    ),
    migrations.AlterField(
        model_name="ledgerentry",
        name="voucher",
        field=models.ForeignKey(
            db_index=False,
            on_delete=django.db.models.deletion.PROTECT,
            related_name="ledger",
            to="vouchers.voucher",
            verbose_name="voucher",
        ),
    ),
    migrations.AlterField(
        model_name="voucher",
        name="definition",
        field=models.ForeignKey(
            db_index=False,
            on_delete=django.db.models.deletion.PROTECT,
            related_name="vouchers",
            to="vouchers.voucherdefinition",
            verbose_name="definition",
        ),
    ),
    migrations.AlterField(
        model_name="voucher",
        name="member",
        field=models.ForeignKey(
            blank=True,
            db_index=False,
            null=True,
            on_delete=django.db.models.deletion.PROTECT,
            related_name="vouchers",
            to="members.member",
            verbose_name="member",
        ),
    ),
    migrations.AlterField(
        model_name="voucher",
        name="vehicle",
        field=models.ForeignKey(
            blank=True,
            db_index=False,
            null=True,
            on_delete=django.db.models.deletion.PROTECT,
            related_name="vouchers",
            to="vehicles.vehicle",
            verbose_name="vehicle",
        ),
    ),
]


class Migration(migrations.Migration):
    atomic = False  # DROP INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [
        ("members", "0005_dealer_code_format"),
        ("vehicles", "0006_import_batch_created_by_label"),
        ("vouchers", "0009_repurchase_benefit_holder_rule"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=STATE, database_operations=[field_indexes_dropped(INDEXES)]
        )
    ]
