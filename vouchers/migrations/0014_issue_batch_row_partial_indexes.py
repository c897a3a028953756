"""Bulk issuance writes fewer index entries per row.

Batch rows: marking a row issued is an UPDATE of its status, which writes a new entry in every
index of the table. The status index now leaves issued rows out (it finds the pending rows to
issue and the rejected rows to show), and the vehicle and member indexes leave out the NULLs (a
row names a vehicle or a member, rarely both); queries on those columns use them as before.

Vouchers: the `varchar_pattern_ops` copies Django adds beside the indexes of `code` and
`external_ref` serve only LIKE 'prefix%' queries, which nothing runs (codes are looked up whole;
the admin's search is a case-insensitive contains, which no btree serves). Each voucher insert
wrote both, one at a random place (the code). PostgreSQL only: SQLite never had them. Django's own
schema changes drop these by name with IF EXISTS, so a later change of either field still works.

Like 0010: the indexes go and come with CONCURRENTLY on PostgreSQL (no lock on a live table), so
the field changes are state only (Django's AlterField would drop and re-add each foreign key).
"""

import django.db.models.deletion
from django.db import migrations, models

ROW_TABLE = "vouchers_issuebatchrow"
OLD_FK_INDEXES = [(ROW_TABLE, "vehicle_id"), (ROW_TABLE, "member_id")]
LIKE_INDEXES = [("vouchers_voucher", "code"), ("vouchers_voucher", "external_ref")]
OLD_STATUS = models.Index(fields=["batch", "status", "row_number"], name="issue_batch_row_status")
NEW_INDEXES = [
    models.Index(
        fields=["batch", "status", "row_number"],
        condition=~models.Q(status="issued"),
        name="issue_batch_row_open",
    ),
    models.Index(
        fields=["vehicle"], condition=models.Q(vehicle__isnull=False), name="issue_batch_row_vehicle"
    ),
    models.Index(fields=["member"], condition=models.Q(member__isnull=False), name="issue_batch_row_member"),
]


def _concurrently(schema_editor) -> dict:
    return {"concurrently": True} if schema_editor.connection.vendor == "postgresql" else {}


def _drop(schema_editor, name: str) -> None:
    concurrently = "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""
    schema_editor.execute(f"DROP INDEX {concurrently}IF EXISTS {schema_editor.quote_name(name)}")


def _create_plain(schema_editor, table: str, column: str, suffix: str, opclass: str = "") -> None:
    concurrently = "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""
    quote = schema_editor.quote_name
    name = schema_editor._create_index_name(table, [column], suffix=suffix)
    schema_editor.execute(
        f"CREATE INDEX {concurrently}IF NOT EXISTS {quote(name)} ON {quote(table)} ({quote(column)}{opclass})"
    )


def forwards(apps, schema_editor):
    model = apps.get_model("vouchers", "IssueBatchRow")
    for index in NEW_INDEXES:
        schema_editor.execute(index.create_sql(model, schema_editor, **_concurrently(schema_editor)))
    _drop(schema_editor, OLD_STATUS.name)
    for table, column in OLD_FK_INDEXES:
        _drop(schema_editor, schema_editor._create_index_name(table, [column], suffix=""))
    if schema_editor.connection.vendor == "postgresql":
        for table, column in LIKE_INDEXES:
            _drop(schema_editor, schema_editor._create_index_name(table, [column], suffix="_like"))


def backwards(apps, schema_editor):
    model = apps.get_model("vouchers", "IssueBatchRow")
    if schema_editor.connection.vendor == "postgresql":
        for table, column in LIKE_INDEXES:
            _create_plain(schema_editor, table, column, "_like", " varchar_pattern_ops")
    for table, column in OLD_FK_INDEXES:
        _create_plain(schema_editor, table, column, "")
    schema_editor.execute(OLD_STATUS.create_sql(model, schema_editor, **_concurrently(schema_editor)))
    for index in NEW_INDEXES:
        _drop(schema_editor, index.name)


STATE = [
    migrations.RemoveIndex(model_name="issuebatchrow", name="issue_batch_row_status"),
    migrations.AlterField(
        model_name="issuebatchrow",
        name="member",
        field=models.ForeignKey(
            blank=True,
            db_index=False,
            null=True,
            on_delete=django.db.models.deletion.PROTECT,
            related_name="+",
            to="members.member",
            verbose_name="member",
        ),
    ),
    migrations.AlterField(
        model_name="issuebatchrow",
        name="vehicle",
        field=models.ForeignKey(
            blank=True,
            db_index=False,
            null=True,
            on_delete=django.db.models.deletion.PROTECT,
            related_name="+",
            to="vehicles.vehicle",
            verbose_name="vehicle",
        ),
    ),
    *(migrations.AddIndex(model_name="issuebatchrow", index=index) for index in NEW_INDEXES),
]


class Migration(migrations.Migration):
    atomic = False  # CREATE / DROP INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [
        ("members", "0007_referral_moved_to_loyalty"),
        ("vehicles", "0007_vehicle_alerts"),
        ("vouchers", "0013_referral_trigger_retired"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=STATE, database_operations=[migrations.RunPython(forwards, backwards)]
        )
    ]
