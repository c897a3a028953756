"""Several writes of one transaction sent as one SQL statement on PostgreSQL.

A hot path's writes (a row's UPDATE, INSERTs that refer to one another) cost a round trip each.
PostgreSQL runs data-modifying statements inside WITH as one statement: each exactly once, against
the same snapshot, an INSERT reading the key an earlier one RETURNED. Elsewhere (SQLite has no
data-modifying WITH) the writes run one by one through the ORM, in the order they were queued: the
same rows either way. Constraints hold the same (a violation raises IntegrityError from `run`).

The services that own each row queue their writes (`update`, `insert`) instead of saving, and the
caller that owns the transaction runs them once. Model signals (pre_save/post_save) are not sent on
PostgreSQL: use it only for models nobody listens to that way.
"""

from django.db import DatabaseError, connections
from django.db.models.expressions import RawSQL
from django.db.models.sql import InsertQuery, UpdateQuery


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
        query = UpdateQuery(type(obj))
        query.add_update_fields([(f, None, f.pre_save(obj, False)) for f in map(opts.get_field, fields)])
        query.add_filter("pk", obj.pk)
        sql, params = query.get_compiler(self.using).as_sql()
        return sql, list(params)

    def _insert_sql(self, obj, names: dict[int, str]) -> tuple[str, list]:
        """Django's INSERT of `obj` (its compiler prepares every value), a foreign key to an object
        queued before it reading that object's key from its WITH part."""
        opts = obj._meta
        connection = connections[self.using]
        quote = connection.ops.quote_name
        fields = [f for f in opts.local_concrete_fields if not getattr(f, "generated", False)]
        if obj.pk is None:
            fields = [f for f in fields if f is not opts.auto_field]
        query = InsertQuery(type(obj))
        query.insert_values(fields, [obj])
        compiler = query.get_compiler(self.using)
        placeholders, params = [], []
        for field in fields:
            value = compiler.pre_save_val(field, obj)
            if field.is_relation and value is None:
                target = field.get_cached_value(obj, default=None)
                if target is not None and id(target) in names:
                    pk = quote(target._meta.pk.column)
                    value = RawSQL(f"(SELECT {pk} FROM {names[id(target)]})", [])  # noqa: S608, S611
            value = compiler.prepare_value(field, value)
            sql, field_params = compiler.field_as_sql(field, getattr(field, "get_placeholder", None), value)
            placeholders.append(sql)
            params.extend(field_params)
        columns = ", ".join(quote(f.column) for f in fields)
        table = quote(opts.db_table)
        return f"INSERT INTO {table} ({columns}) VALUES ({', '.join(placeholders)})", params  # noqa: S608

    @staticmethod
    def _point_at_saved(obj) -> None:
        """Set the foreign keys that pointed at objects saved with this statement (as `save` does)."""
        for field in obj._meta.concrete_fields:
            if not field.is_relation or getattr(obj, field.attname) is not None:
                continue
            target = field.get_cached_value(obj, default=None)
            if target is not None and target.pk is not None:
                setattr(obj, field.name, target)
