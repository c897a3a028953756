"""Nullable keys of the vouchers and their ledger are indexed only where set (config/field_indexes.py):
a ledger entry's staff user and dealer (partner, system, shop and owner entries have no staff user;
issuance and expiry entries no dealer) and a voucher's order (only shop sales have one). Bulk
issuance, nightly expiry and every redemption write fewer index entries; every query by these keys
uses the new indexes as it used the old.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from config.field_indexes import field_indexes_made_partial, index_of_set_values

LEDGER_INDEXES = [
    index_of_set_values("actor", name="ledger_actor_set"),
    index_of_set_values("dealer", name="ledger_dealer_set"),
]
VOUCHER_INDEXES = [index_of_set_values("order", name="voucher_order_set")]

STATE = [
    migrations.AlterField(
        model_name="ledgerentry",
        name="actor",
        field=models.ForeignKey(
            blank=True,
            db_index=False,
            null=True,
            on_delete=django.db.models.deletion.PROTECT,
            related_name="+",
            to=settings.AUTH_USER_MODEL,
            verbose_name="staff user",
        ),
    ),
    migrations.AlterField(
        model_name="ledgerentry",
        name="dealer",
        field=models.ForeignKey(
            blank=True,
            db_index=False,
            null=True,
            on_delete=django.db.models.deletion.PROTECT,
            related_name="+",
            to="members.dealer",
            verbose_name="dealer",
        ),
    ),
    migrations.AlterField(
        model_name="voucher",
        name="order",
        field=models.ForeignKey(
            blank=True,
            db_index=False,
            null=True,
            on_delete=django.db.models.deletion.PROTECT,
            related_name="vouchers",
            to="vouchers.order",
            verbose_name="order",
        ),
    ),
    *(migrations.AddIndex(model_name="ledgerentry", index=index) for index in LEDGER_INDEXES),
    *(migrations.AddIndex(model_name="voucher", index=index) for index in VOUCHER_INDEXES),
]


class Migration(migrations.Migration):
    atomic = False  # CREATE / DROP INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [
        ("members", "0007_referral_moved_to_loyalty"),
        ("vehicles", "0010_recorded_by_indexed_where_set"),
        ("vouchers", "0014_issue_batch_row_partial_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=STATE,
            database_operations=[
                field_indexes_made_partial("vouchers", "ledgerentry", LEDGER_INDEXES),
                field_indexes_made_partial("vouchers", "voucher", VOUCHER_INDEXES),
            ],
        )
    ]
