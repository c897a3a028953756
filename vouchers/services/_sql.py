"""Pieces of the set-based statements (bulk issuance, expiry) that PostgreSQL runs in one go.

The column lists come from the models, not from hand-written SQL: a column added to a model later
with a default is filled by these statements too, from an unsaved instance's value.
"""

from django.db import connection
from django.db.models import Model


def insert_columns(template: Model, expressions: dict[str, str | tuple[str, list]]) -> tuple[str, str, list]:
    """(column list, SELECT list, parameters) for `INSERT INTO <table> (...) SELECT ...`.

    A column whose attname is in `expressions` gets that SQL expression (with its parameters, when
    given as (sql, params)); every other concrete column (the primary key apart) gets `template`'s
    value as a typed parameter.
    """
    quote = connection.ops.quote_name
    columns, selects, params = [], [], []
    unused = set(expressions)
    for field in type(template)._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(quote(field.column))
        if field.attname in expressions:
            expression = expressions[field.attname]
            sql, own = (expression, []) if isinstance(expression, str) else expression
            selects.append(sql)
            params += own
            unused.discard(field.attname)
            continue
        selects.append(f"%s::{field.db_type(connection)}")
        params.append(field.get_db_prep_save(getattr(template, field.attname), connection))
    if unused:
        raise ValueError(f"no such columns: {sorted(unused)}")
    return ", ".join(columns), ", ".join(selects), params


def update_columns(instance: Model, fields: list[str]) -> tuple[str, list]:
    """(`UPDATE <table> SET ... WHERE <pk> = ...`, parameters) saving `fields` of `instance`, for a
    statement that writes it with others (`instance.save(update_fields=fields)` in one go)."""
    quote = connection.ops.quote_name
    opts = type(instance)._meta
    sets, params = [], []
    for name in fields:
        field = opts.get_field(name)
        sets.append(f"{quote(field.column)} = %s::{field.db_type(connection)}")
        params.append(field.get_db_prep_save(getattr(instance, field.attname), connection))
    table, pk = quote(opts.db_table), quote(opts.pk.column)
    return f"UPDATE {table} SET {', '.join(sets)} WHERE {pk} = %s", [*params, instance.pk]  # noqa: S608


def array_type(model: type[Model], attname: str) -> str:
    """The SQL array type of a column (`varchar(16)[]`), to cast an array parameter to."""
    field = next(f for f in model._meta.concrete_fields if f.attname == attname)
    return f"{field.db_type(connection)}[]"
