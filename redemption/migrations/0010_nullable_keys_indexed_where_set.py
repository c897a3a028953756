"""Redemptions index their advisor, partner key and reverser only where set: an API redemption
has no advisor, a counter one no key, and few are reversed, so each insert writes two entries fewer
(config/field_indexes.py).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from config.field_indexes import field_indexes_made_partial, index_of_set_values

INDEXES = [
    index_of_set_values("advisor", name="redemption_advisor_set"),
    index_of_set_values("api_key", name="redemption_api_key_set"),
    index_of_set_values("reversed_by", name="redemption_reversed_by_set"),
]

STATE = [
    migrations.AlterField(
        model_name="redemption",
        name="advisor",
        field=models.ForeignKey(
            blank=True,
            db_index=False,
            null=True,
            on_delete=django.db.models.deletion.PROTECT,
            related_name="redemptions",
            to=settings.AUTH_USER_MODEL,
            verbose_name="advisor",
        ),
    ),
    migrations.AlterField(
        model_name="redemption",
        name="api_key",
        field=models.ForeignKey(
            blank=True,
            db_index=False,
            null=True,
            on_delete=django.db.models.deletion.SET_NULL,
            related_name="redemptions",
            to="redemption.apikey",
            verbose_name="API key",
        ),
    ),
    migrations.AlterField(
        model_name="redemption",
        name="reversed_by",
        field=models.ForeignKey(
            blank=True,
            db_index=False,
            null=True,
            on_delete=django.db.models.deletion.PROTECT,
            related_name="+",
            to=settings.AUTH_USER_MODEL,
            verbose_name="reversed by",
        ),
    ),
    *(migrations.AddIndex(model_name="redemption", index=index) for index in INDEXES),
]


class Migration(migrations.Migration):
    atomic = False  # CREATE / DROP INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [
        ("members", "0007_referral_moved_to_loyalty"),
        ("redemption", "0009_drop_indexes_covered_by_composites"),
        ("vehicles", "0010_recorded_by_indexed_where_set"),
        ("vouchers", "0014_issue_batch_row_partial_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=STATE,
            database_operations=[field_indexes_made_partial("redemption", "redemption", INDEXES)],
        )
    ]
