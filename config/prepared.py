"""Reads on the hot paths, compiled to SQL once and run with new values.

The ORM spends about a millisecond of CPU compiling one queryset to SQL (columns, joins, the WHERE
tree, select_related, annotations), and a redemption reads five rows: on this kind of machine that
was a fifth of the request. A `PreparedSelect` asks the ORM for the statement once per database
alias, so the ORM stays the one place that writes the SQL, and remembers which of the statement's
parameters are the caller's values. Each later call sends the same text with new values and builds
the model instances (with their select_related rows and annotations) as the ORM's own iterator does.

How the values are found: the queryset is built once with a distinct marker for each named value;
the markers' places in the compiled parameters are where later values go. A value the ORM would
transform or write into the SQL text (a `contains` lookup, say) is refused when the statement is
prepared, so a wrong statement can never be cached.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import MultipleObjectsReturned
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet
from django.db.models.query import MAX_GET_RESULTS, get_related_populators
from django.db.transaction import TransactionManagementError

# Values no real query uses: integers far below any key, text in Unicode's private use area.
_INT_MARKER_BASE = -7_431_000_000_000_000
_TEXT_MARKER = "\ue000prepared:{}\ue000"


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple  # a constant, or None where `slots` names the caller's value
    slots: tuple[tuple[int, str], ...]  # (position in params, value name)
    compiler: object  # the compiler that wrote `sql`: its select list, klass_info, annotations
    populators: list
    init_list: list[str]
    model_fields: tuple[int, int]
    for_update: bool


class PreparedSelect:
    """`build(**values)` returns the queryset; `kind` is how its rows are taken:
    "get" (exactly one, else `Model.DoesNotExist` / `MultipleObjectsReturned`, as `QuerySet.get`),
    "first" (one or None; ordered by the primary key unless the queryset is ordered) or "all"."""

    def __init__(self, build: Callable[..., QuerySet], *, kind: str = "get", **types: type):
        if kind not in ("get", "first", "all"):
            raise ValueError(f"unknown kind {kind!r}")
        if any(t not in (int, str) for t in types.values()):
            raise TypeError("values are int or str")
        self.build, self.kind, self.types = build, kind, types
        self._compiled: dict[str, _Compiled] = {}
        self._lock = threading.Lock()

    # --- running -----------------------------------------------------------------------------------

    def get(self, *, using: str = DEFAULT_DB_ALIAS, **values):
        rows = self._run(using, values)
        if self.kind == "all":
            return rows
        if self.kind == "first":
            return rows[0] if rows else None
        if not rows:
            model = self._compiled[using].compiler.query.model
            raise model.DoesNotExist(f"{model._meta.object_name} matching query does not exist.")
        if len(rows) > 1:
            model = self._compiled[using].compiler.query.model
            raise MultipleObjectsReturned(f"get() returned more than one {model._meta.object_name}.")
        return rows[0]

    def _run(self, using: str, values: dict) -> list:
        if values.keys() != self.types.keys():
            raise TypeError(f"expected values {sorted(self.types)}, got {sorted(values)}")
        connection = connections[using]
        compiled = self._compiled.get(using) or self._compile(using)
        if compiled.for_update and connection.get_autocommit():
            raise TransactionManagementError("select_for_update cannot be used outside of a transaction.")
        params = list(compiled.params)
        for position, name in compiled.slots:
            params[position] = values[name]
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall()
        if not rows:
            return []
        # The compiler's converters belong to this thread's connection (SQLite's dates, JSON, ...).
        compiler = copy.copy(compiled.compiler)
        compiler.connection, compiler.using = connection, using
        start, end = compiled.model_fields
        model = compiler.klass_info["model"]
        annotations = compiler.annotation_col_map
        objects = []
        for row in compiler.results_iter([rows]):
            obj = model.from_db(using, compiled.init_list, row[start:end])
            for populator in compiled.populators:
                populator.populate(row, obj)
            for name, column in annotations.items():
                setattr(obj, name, row[column])
            objects.append(obj)
        return objects

    # --- preparing ---------------------------------------------------------------------------------

    def _compile(self, using: str) -> _Compiled:
        with self._lock:
            if using in self._compiled:
                return self._compiled[using]
            markers = {
                name: (_INT_MARKER_BASE - n if kind is int else _TEXT_MARKER.format(name))
                for n, (name, kind) in enumerate(sorted(self.types.items()))
            }
            queryset = self._shape(self.build(**markers), using)
            compiler = queryset.query.get_compiler(using=using)
            sql, params = compiler.as_sql()
            by_marker = {marker: name for name, marker in markers.items()}
            slots, constants = [], []
            for position, value in enumerate(params):
                name = by_marker.get(value) if type(value) in (int, str) else None
                slots.extend([(position, name)] if name else [])
                constants.append(None if name else value)
            found = {name for _position, name in slots}
            for name, marker in markers.items():
                if name not in found or str(marker) in sql:
                    raise ValueError(
                        f"{name!r} does not reach the statement as a plain parameter; "
                        "prepare only lookups that pass values through (exact, in a RawSQL, ...)"
                    )
            select, klass_info = compiler.select, compiler.klass_info
            start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
            compiled = _Compiled(
                sql=sql,
                params=tuple(constants),
                slots=tuple(slots),
                compiler=compiler,
                populators=get_related_populators(klass_info, select, using),
                init_list=[column[0].target.attname for column in select[start:end]],
                model_fields=(start, end),
                for_update=bool(queryset.query.select_for_update)
                and connections[using].features.has_select_for_update,
            )
            self._compiled[using] = compiled
            return compiled

    def _shape(self, queryset: QuerySet, using: str) -> QuerySet:
        """The limits `QuerySet.get` and `.first` add, so the statement is theirs."""
        if self.kind == "first":
            if not queryset.ordered:
                queryset = queryset.order_by("pk")
            return queryset[:1]
        if self.kind == "get":
            queryset = queryset.order_by()
            features = connections[using].features
            if not queryset.query.select_for_update or features.supports_select_for_update_with_limit:
                queryset.query.set_limits(high=MAX_GET_RESULTS)
        return queryset
