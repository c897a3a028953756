"""A migration operation that drops fields' own single-column indexes (`db_index`) which only cost
writes on a hot path: a foreign key's that leads a composite index or unique constraint already
(it serves no lookup the composite does not), or a column's that a hot path updates and no query
needs (its index makes every such UPDATE write a new entry in each of the table's indexes).

Safe on a live table: Django's AlterField(db_index=False) would drop and re-add each foreign key
constraint (a re-validation of the whole table under lock), and it also drops any other index on
that one column, a partial unique index among them (`one_open_hold_per_voucher` on
redemption.voucher). Here only the named indexes go, with DROP INDEX CONCURRENTLY on PostgreSQL
(the migration must say `atomic = False`), while readers and writers go on. Reversed, they are
created again the same way.
"""

from django.db import migrations


def field_indexes_dropped(indexes: list[tuple[str, str]]) -> migrations.RunPython:
    """`indexes`: (table, column) of each field's own index, named as Django names a field's
    db_index."""

    def statements(schema_editor, template: str):
        concurrently = "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""
        quote = schema_editor.quote_name
        for table, column in indexes:
            name = schema_editor._create_index_name(table, [column], suffix="")
            yield template.format(
                concurrently=concurrently, name=quote(name), table=quote(table), column=quote(column)
            )

    def drop(apps, schema_editor):
        for statement in statements(schema_editor, "DROP INDEX {concurrently}IF EXISTS {name}"):
            schema_editor.execute(statement)

    def create(apps, schema_editor):
        template = "CREATE INDEX {concurrently}IF NOT EXISTS {name} ON {table} ({column})"
        for statement in statements(schema_editor, template):
            schema_editor.execute(statement)

    return migrations.RunPython(drop, create)
