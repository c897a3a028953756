"""Migration operations that take fields' own single-column indexes (`db_index`) off a hot path.

`field_indexes_dropped` drops those which only cost writes: a foreign key's that leads a composite
index or unique constraint already (it serves no lookup the composite does not), or a column's
that a hot path updates and no query needs (its index makes every such UPDATE write a new entry in
each of the table's indexes).

Safe on a live table: Django's AlterField(db_index=False) would drop and re-add each foreign key
constraint (a re-validation of the whole table under lock), and it also drops any other index on
that one column, a partial unique index among them (`one_open_hold_per_voucher` on
redemption.voucher). Here only the named indexes go, with DROP INDEX CONCURRENTLY on PostgreSQL
(the migration must say `atomic = False`), while readers and writers go on. Reversed, they are
created again the same way.

`field_indexes_made_partial` keeps a nullable foreign key's index but leaves its NULLs out
(`index_of_set_values` builds such an index for the model's Meta).
"""

from django.db import migrations, models


def index_of_set_values(field_name: str, *, name: str) -> models.Index:
    """An index of a nullable column that holds only the rows where it is set."""
    set_only = models.Q(**{f"{field_name}__isnull": False})
    return models.Index(fields=[field_name], condition=set_only, name=name)


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


def field_indexes_made_partial(app_label: str, model_name: str, indexes: list) -> migrations.RunPython:
    """Replace nullable foreign keys' own indexes (`db_index`) by partial ones that leave the NULLs
    out. `indexes`: the model's `index_of_set_values(...)`.

    A row whose key is NULL then writes no entry; every query by the key still uses the index (an
    equality or IN on the column implies it is not NULL). Like the drop above: CONCURRENTLY on
    PostgreSQL (`atomic = False`) and only the named indexes, never AlterField."""

    def columns(apps, schema_editor):
        model = apps.get_model(app_label, model_name)
        for index in indexes:
            (field_name,) = index.fields
            column = model._meta.get_field(field_name).column
            old = schema_editor._create_index_name(model._meta.db_table, [column], suffix="")
            yield model, index, column, old

    def options(schema_editor) -> tuple[dict, str]:
        if schema_editor.connection.vendor == "postgresql":
            return {"concurrently": True}, "CONCURRENTLY "
        return {}, ""

    def forwards(apps, schema_editor):
        create, concurrently = options(schema_editor)
        for model, index, _column, old in columns(apps, schema_editor):
            schema_editor.execute(index.create_sql(model, schema_editor, **create))
            schema_editor.execute(f"DROP INDEX {concurrently}IF EXISTS {schema_editor.quote_name(old)}")

    def backwards(apps, schema_editor):
        _create, concurrently = options(schema_editor)
        quote = schema_editor.quote_name
        for model, index, column, old in columns(apps, schema_editor):
            schema_editor.execute(
                f"CREATE INDEX {concurrently}IF NOT EXISTS {quote(old)}"
                f" ON {quote(model._meta.db_table)} ({quote(column)})"
            )
            schema_editor.execute(f"DROP INDEX {concurrently}IF EXISTS {quote(index.name)}")

    return migrations.RunPython(forwards, backwards)
