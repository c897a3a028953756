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


def _concurrently(schema_editor) -> str:
    return "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""


def _own_index_name(schema_editor, table: str, column: str) -> str:
    """The name Django gives a field's own index (`db_index`)."""
    return schema_editor._create_index_name(table, [column], suffix="")


def _drop_index(schema_editor, name: str) -> None:
    quote = schema_editor.quote_name
    schema_editor.execute(f"DROP INDEX {_concurrently(schema_editor)}IF EXISTS {quote(name)}")


def _create_own_index(schema_editor, table: str, column: str) -> None:
    quote = schema_editor.quote_name
    name = quote(_own_index_name(schema_editor, table, column))
    concurrently = _concurrently(schema_editor)
    schema_editor.execute(
        f"CREATE INDEX {concurrently}IF NOT EXISTS {name} ON {quote(table)} ({quote(column)})"
    )


def field_indexes_dropped(indexes: list[tuple[str, str]]) -> migrations.RunPython:
    """`indexes`: (table, column) of each field's own index."""

    def drop(apps, schema_editor):
        for table, column in indexes:
            _drop_index(schema_editor, _own_index_name(schema_editor, table, column))

    def create(apps, schema_editor):
        for table, column in indexes:
            _create_own_index(schema_editor, table, column)

    return migrations.RunPython(drop, create)


def field_indexes_made_partial(app_label: str, model_name: str, indexes: list) -> migrations.RunPython:
    """Replace nullable foreign keys' own indexes (`db_index`) by partial ones that leave the NULLs
    out. `indexes`: the model's `index_of_set_values(...)`.

    A row whose key is NULL then writes no entry; every query by the key still uses the index (an
    equality or IN on the column implies it is not NULL). Like the drop above: CONCURRENTLY on
    PostgreSQL (`atomic = False`) and only the named indexes, never AlterField."""

    def columns(apps):
        model = apps.get_model(app_label, model_name)
        for index in indexes:
            (field_name,) = index.fields
            yield model, index, model._meta.get_field(field_name).column

    def forwards(apps, schema_editor):
        create = {"concurrently": True} if _concurrently(schema_editor) else {}
        for model, index, column in columns(apps):
            schema_editor.execute(index.create_sql(model, schema_editor, **create))
            _drop_index(schema_editor, _own_index_name(schema_editor, model._meta.db_table, column))

    def backwards(apps, schema_editor):
        for model, index, column in columns(apps):
            _create_own_index(schema_editor, model._meta.db_table, column)
            _drop_index(schema_editor, index.name)

    return migrations.RunPython(forwards, backwards)
