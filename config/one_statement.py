"""Several writes of one transaction sent as one SQL statement on PostgreSQL.

A hot path's writes (a row's UPDATE, INSERTs that refer to one another) cost a round trip each.
PostgreSQL runs data-modifying statements inside WITH as one statement: each exactly once, against
the same snapshot, an INSERT reading the key an earlier one RETURNED. Elsewhere (SQLite has no
data-modifying WITH) the writes run one by one through the ORM, in the order they were queued: the
same rows either way. Constraints hold the same (a violation raises IntegrityError from `run`).

The services that own each row queue their writes (`update`, `insert`) instead of saving, and the
caller that owns the transaction runs them once. Model signals (pre_save/post_save) are not sent on
PostgreSQL: use it only for models nobody listens to that way.

Each part's SQL is written by Django's compiler the first time its shape is seen (the model, the
columns, which values are NULL, which keys point at parts before it) and kept: later statements of
that shape only prepare their values, as the compiler does, which costs a fraction of compiling.
A value that is an expression is compiled every time.
"""

from dataclasses import dataclass
from functools import cache

from django.db import DatabaseError, connections
from django.db.models import Field
from django.db.models.expressions import RawSQL
from django.db.models.sql import InsertQuery, UpdateQuery

from config.db_values import db_value

# (kind, model, columns, shape of the values) -> the part's SQL as Django's compiler wrote it
_PART_SQL: dict[tuple, str] = {}


class Writes:
    def __init__(self, using: str = "default"):
        self.using = using
        self._steps: list[tuple[str, object, list[str] | None]] = []

    def update(self, obj, fields: list[str]) -> None:
        """Queue `obj.save(update_fields=fields)` (the row must exist: `run` checks it did)."""
        self._steps.append(("update", obj, list(fields)))

    def insert(self, obj) -> None:
        """Queue saving the new `obj`; after `run` it has its primary key. A foreign key may point at
        an object queued before it (assigned as the related object, e.g. `entry=<unsaved entry>`)."""
        self._steps.append(("insert", obj, None))

    def run(self) -> None:
        if not self._steps:
            return
        if connections[self.using].vendor == "postgresql":
            self._run_in_one_statement()
        else:
            for kind, obj, fields in self._steps:
                if kind == "update":
                    obj.save(using=self.using, update_fields=fields)
                else:
                    obj.save(using=self.using, force_insert=True)
        self._steps = []

    # --- PostgreSQL -------------------------------------------------------------------------------

    def _run_in_one_statement(self) -> None:
        connection = connections[self.using]
        quote = connection.ops.quote_name
        parts, params, results = [], [], []
        names: dict[int, str] = {}  # id(inserted object) -> its WITH name
        for number, (kind, obj, fields) in enumerate(self._steps):
            name = f"w{number}"
            if kind == "update":
                sql, step_params = self._update_sql(obj, fields)
                parts.append(f"{name} AS ({sql} RETURNING 1)")
                results.append(f"(SELECT count(*) FROM {name})")  # noqa: S608 - our own names
            else:
                sql, step_params = self._insert_sql(obj, names)
                names[id(obj)] = name
                parts.append(f"{name} AS ({sql} RETURNING {quote(obj._meta.pk.column)})")
                results.append(f"(SELECT {quote(obj._meta.pk.column)} FROM {name})")  # noqa: S608
            params.extend(step_params)
        statement = f"WITH {', '.join(parts)} SELECT {', '.join(results)}"
        with connection.cursor() as cursor:
            cursor.execute(statement, params)
            row = cursor.fetchone()
        for (kind, obj, _fields), value in zip(self._steps, row, strict=True):
            if kind == "update":
                if not value:
                    raise DatabaseError("Save with update_fields did not affect any rows.")
                continue
            obj.pk = value
            obj._state.adding = False
            obj._state.db = self.using
        for kind, obj, _fields in self._steps:
            if kind == "insert":
                self._point_at_saved(obj)

    def _update_sql(self, obj, fields: list[str]) -> tuple[str, list]:
        opts = obj._meta
        connection = connections[self.using]
        values = [(f, f.pre_save(obj, False)) for f in map(opts.get_field, fields)]
        prepared = _prepared_update_values(values, connection)
        if prepared is not None:
            # The compiler writes NULL into the text and takes a parameter for any other value.
            key = ("update", type(obj), tuple(fields), tuple(v is None for v in prepared), connection.vendor)
            sql = _PART_SQL.get(key)
            if sql is not None:
                return sql, [v for v in prepared if v is not None] + [_pk_value(obj, connection)]
        query = UpdateQuery(type(obj))
        query.add_update_fields([(f, None, value) for f, value in values])
        query.add_filter("pk", obj.pk)
        sql, params = query.get_compiler(self.using).as_sql()
        if prepared is not None:
            _PART_SQL[key] = sql
        return sql, list(params)

    def _insert_sql(self, obj, names: dict[int, str]) -> tuple[str, list]:
        """Django's INSERT of `obj` (its compiler prepares every value), a foreign key to an object
        queued before it reading that object's key from its WITH part."""
        opts = obj._meta
        connection = connections[self.using]
        quote = connection.ops.quote_name
        inserted = _inserted_fields(type(obj), with_key=obj.pk is not None)
        fields = inserted.fields
        # One pass: each value, the earlier part a NULL key points at, and (while every value is
        # plain) the value as the database takes it. A NULL goes into the text, not as a parameter:
        # fewer parameters to bind, and psycopg keeps its conversion of a statement's text only for
        # at most 50 of them.
        values, references, params, nulls = [], [], [], []
        plain = not inserted.placeholders
        for field, own_pre_save in zip(fields, inserted.own_pre_save, strict=True):
            value = field.pre_save(obj, True) if own_pre_save else getattr(obj, field.attname)
            target = None
            if value is None and field.is_relation:
                target = field.get_cached_value(obj, default=None)
                target = names.get(id(target)) if target is not None else None
            references.append(target)
            values.append(value)
            if not plain:
                continue
            if hasattr(value, "resolve_expression"):
                plain = False
            elif target is not None:
                nulls.append(False)
            else:
                prepared = db_value(field, value, connection)
                nulls.append(prepared is None)
                if prepared is not None:
                    params.append(prepared)
        nulls = tuple(nulls) if plain else ()
        key = (
            "insert",
            type(obj),
            inserted.attnames,
            tuple(references),
            nulls,
            connection.vendor,
        )
        if plain and key in _PART_SQL:
            return _PART_SQL[key], params
        query = InsertQuery(type(obj))
        query.insert_values(fields, [obj])
        compiler = query.get_compiler(self.using)
        placeholders, params = [], []
        for number, (field, value, reference) in enumerate(zip(fields, values, references, strict=True)):
            if nulls and nulls[number]:
                placeholders.append("NULL")
                continue
            if reference is not None:
                pk = quote(field.related_model._meta.pk.column)
                value = RawSQL(f"(SELECT {pk} FROM {reference})", [])  # noqa: S608, S611
            value = compiler.prepare_value(field, value)
            sql, field_params = compiler.field_as_sql(field, getattr(field, "get_placeholder", None), value)
            placeholders.append(sql)
            params.extend(field_params)
        columns = ", ".join(quote(f.column) for f in fields)
        table = quote(opts.db_table)
        sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(placeholders)})"  # noqa: S608
        if plain:
            _PART_SQL[key] = sql
        return sql, params

    @staticmethod
    def _point_at_saved(obj) -> None:
        """Set the foreign keys that pointed at objects saved with this statement (as `save` does)."""
        for field in obj._meta.concrete_fields:
            if not field.is_relation or getattr(obj, field.attname) is not None:
                continue
            target = field.get_cached_value(obj, default=None)
            if target is not None and target.pk is not None:
                setattr(obj, field.name, target)


@dataclass(frozen=True)
class _Inserted:
    """The fields an INSERT of a model writes, and what is known of them before any value."""

    fields: tuple
    attnames: tuple[str, ...]
    own_pre_save: tuple[bool, ...]  # the field's class changes the value before saving (auto_now...)
    placeholders: bool  # a field writes its own placeholder: only the compiler knows the SQL


@cache
def _inserted_fields(model, *, with_key: bool) -> _Inserted:
    opts = model._meta
    fields = [f for f in opts.local_concrete_fields if not getattr(f, "generated", False)]
    if not with_key:
        fields = [f for f in fields if f is not opts.auto_field]
    return _Inserted(
        fields=tuple(fields),
        attnames=tuple(f.attname for f in fields),
        own_pre_save=tuple(type(f).pre_save is not Field.pre_save for f in fields),
        placeholders=any(hasattr(f, "get_placeholder") for f in fields),
    )


def _prepared_update_values(values: list[tuple], connection) -> list | None:
    """The values as the update compiler prepares them, or None when one is an expression (or a
    field writes its own placeholder): then only the compiler knows the SQL."""
    prepared = []
    for field, value in values:
        if hasattr(value, "resolve_expression") or hasattr(field, "get_placeholder"):
            return None
        if hasattr(value, "prepare_database_save"):
            if not field.remote_field:
                return None  # the compiler says what is wrong
            value = value.prepare_database_save(field)
        value = db_value(field, value, connection)
        if hasattr(value, "as_sql"):
            return None
        prepared.append(value)
    return prepared


def _pk_value(obj, connection):
    pk = obj._meta.pk
    return pk.get_db_prep_value(obj.pk, connection)
