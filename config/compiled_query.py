"""Read queries whose SQL is built and compiled once per process, then run with each request's values.

Building a queryset with subqueries and compiling it to SQL costs the counter's vehicle page more
CPU than the database spends answering it (issue 15). For a query whose shape never changes (only
its values do), `compiled_queryset(key, build, **values)` builds and compiles it once per `key` and
afterwards only binds the new values into the stored SQL: the queryset it returns iterates as usual
(model instances, select_related, annotations, values_list) without building or compiling again.

Which parameters carry which value is found, not declared: the first call compiles the query twice,
with the request's values and with each value shifted, and keeps the positions that moved with
exactly one value. Anything else (the SQL changes with the values, a parameter derived from a value,
a value of a type we cannot shift) makes the key compile every time, as Django would; a call with a
None value or an id no column can hold is always left to Django. The shortcut never changes what a
query returns, only what it costs.

`stored_instances(key, **values)` goes one step further for a stored query of model instances: it
runs the stored SQL and makes the instances from its rows as Django's iterator does, with what the
iterator works out per run (columns, converters, select_related populators) kept too. A hot path's
single-row reads and locks cost a queryset, a compiler and an iterator per call otherwise.
"""

import weakref
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from threading import Lock
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet
from django.db.models.query import ModelIterable, get_related_populators
from django.db.transaction import TransactionManagementError

# Compiler attributes tied to one connection or query object; the others (select, klass_info,
# annotation_col_map, col_count, ...) describe the result columns and are the same for every run.
_PER_RUN = frozenset({"connection", "using", "query", "elide_empty"})


@dataclass(frozen=True)
class _Compiled:
    template: QuerySet
    sql: str
    params: tuple
    slots: tuple[tuple[int, str], ...]  # (position in params, name of the value)
    state: dict[str, Any]
    # Per connection and set of result columns: the converters the compiler works out for the rows
    # each time it runs, the same for every run. Weakly keyed: a connection's entry goes with it
    # (a thread's connection object lives as long as the thread).
    converters: weakref.WeakKeyDictionary = field(default_factory=weakref.WeakKeyDictionary)
    # Per database alias: how the rows become model instances (`stored_instances`), or None.
    row_plans: dict[str, "_RowPlan | None"] = field(default_factory=dict)


_cache: dict[Hashable, _Compiled | None] = {}  # None: compile every time
_lock = Lock()
_RETRY = object()  # these values could not tell the parameters apart; the next call's may


def _out_of_range(value: Any) -> bool:
    """An id no column can hold (a URL with 30 digits): Django turns its lookup into "no row"
    before any SQL, while a bound parameter would fail in the database driver."""
    return isinstance(value, int) and not -(2**62) <= value < 2**62


def _shifted(value: Any, index: int) -> Any:
    """Another value of the same type, far from `value` (None: not a value we can bind)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value + 1_000_003 * (index + 1)
    if isinstance(value, str):
        # Text from Unicode's private use area, with the characters LIKE escapes: a lookup that
        # rewrites the text (contains; iexact on SQLite, which escapes only some texts) gives a
        # parameter that moved with no value, and the key compiles every time.
        return f"{value}\ue000%_\\{index}"
    if isinstance(value, datetime):
        return value - timedelta(days=1000 + index, microseconds=index + 1)
    if isinstance(value, date):
        return value - timedelta(days=1000 + index)
    return None


def _compile(queryset: QuerySet) -> tuple[str, tuple, Any]:
    compiler = queryset.query.get_compiler(using=queryset.db)
    sql, params = compiler.as_sql()
    return sql, tuple(params), compiler


def _prepare(build: Callable[..., QuerySet], values: dict[str, Any]) -> Any:
    """The compiled query, None if it cannot be reused, or _RETRY."""
    shifted = {name: _shifted(value, i) for i, (name, value) in enumerate(values.items())}
    if any(value is None for value in shifted.values()):
        return None
    moved = set(shifted.values())
    if len(moved) != len(shifted) or moved & set(values.values()):
        return _RETRY  # a shifted value met another value: a parameter could not be told apart
    template = build(**values)
    try:
        sql, params, compiler = _compile(template)
        sql_b, params_b, _compiler = _compile(build(**shifted))
    except EmptyResultSet:  # matches nothing for these values: leave it to Django
        return None
    if sql != sql_b or len(params) != len(params_b):
        return None
    slots = []
    for position, (first, second) in enumerate(zip(params, params_b, strict=True)):
        if type(first) is type(second) and first == second:
            continue  # a constant of the query
        names = [
            name
            for name, value in values.items()
            if type(first) is type(value) and first == value and second == shifted[name]
        ]
        if len(names) != 1:
            return None  # a parameter computed from a value
        slots.append((position, names[0]))
    state = {name: value for name, value in vars(compiler).items() if name not in _PER_RUN}
    return _Compiled(template=template, sql=sql, params=params, slots=tuple(slots), state=state)


def _params(compiled: _Compiled, values: dict[str, Any]) -> list:
    params = list(compiled.params)
    for position, name in compiled.slots:
        params[position] = values[name]
    return params


def _bound(compiled: _Compiled, values: dict[str, Any]) -> QuerySet:
    params = _params(compiled, values)
    queryset = _one_run_copy(compiled.template)
    query = queryset.query
    make_compiler = query.get_compiler

    def get_compiler(using=None, connection=None, elide_empty=True):
        compiler = make_compiler(using, connection, elide_empty)
        vars(compiler).update(compiled.state)
        compiler.as_sql = lambda *args, **kwargs: (compiled.sql, tuple(params))
        compiler.get_converters = _kept_converters(compiled, compiler)
        return compiler

    # On this one clone only: chaining it (filter, order_by, slicing) would compile anew.
    query.get_compiler = get_compiler
    query.chain = None  # a changed copy would run the stored SQL: refuse it loudly instead
    return queryset


def _one_run_copy(template: QuerySet) -> QuerySet:
    """A copy of the template to iterate once, sharing what the template holds: the run replaces
    the compiler's SQL and state, so nothing of the query is compiled, changed or chained (a clone
    would copy every alias, filter and annotation only to read none of them)."""
    query = object.__new__(type(template.query))
    query.__dict__.update(template.query.__dict__)
    queryset = object.__new__(type(template))
    queryset.__dict__.update(template.__dict__)
    queryset._query = query
    queryset._result_cache = None
    queryset._prefetch_done = False
    return queryset


def _kept_converters(compiled: _Compiled, compiler) -> Callable[[list], dict]:
    """`compiler.get_converters`, worked out once per connection and set of columns (the columns
    come from the kept compiler state, so they are the same objects every run)."""
    work_out = compiler.get_converters

    def get_converters(expressions):
        per_connection = compiled.converters.get(compiler.connection)
        if per_connection is None:
            with _lock:
                per_connection = compiled.converters.setdefault(compiler.connection, {})
        columns = tuple(map(id, expressions))
        converters = per_connection.get(columns)
        if converters is None:
            converters = per_connection[columns] = work_out(expressions)
        return converters

    return get_converters


def compiled_queryset(key: Hashable, build: Callable[..., QuerySet], /, **values: Any) -> QuerySet:
    """`build(**values)`, compiled once for `key` (which must name everything that shapes the query
    but the values: the function, a list's length, the set of registered columns). Iterate the
    result as it is; do not chain it."""
    if any(value is None or _out_of_range(value) for value in values.values()):
        return build(**values)
    compiled = _cache.get(key, _RETRY)
    if compiled is _RETRY:
        compiled = _prepare(build, values)
        if compiled is _RETRY:
            return build(**values)
        with _lock:
            compiled = _cache.setdefault(key, compiled)
    if compiled is None:
        return build(**values)
    return _bound(compiled, values)


@dataclass(frozen=True)
class StoredStatement:
    sql: str
    params: list
    columns: int  # of each row, as the compiler counts them
    db: str
    locks: bool
    instances: bool  # `stored_instances` makes its rows into model instances


def stored_statement(
    key: Hashable, build: Callable[..., QuerySet], /, **values: Any
) -> StoredStatement | None:
    """The SQL `compiled_queryset` stores for `key`, with these values bound, to send it inside
    another statement; None when it is not stored (it compiles every time, or these values could
    not store it yet)."""
    if any(value is None or _out_of_range(value) for value in values.values()):
        return None
    if key not in _cache:
        compiled_queryset(key, build, **values)  # stores it, when it can
    compiled = _cache.get(key)
    if not isinstance(compiled, _Compiled):
        return None
    template = compiled.template
    return StoredStatement(
        sql=compiled.sql,
        params=_params(compiled, values),
        columns=compiled.state["col_count"],
        db=template.db,
        locks=bool(template.query.select_for_update),
        instances=_plan_for(compiled, template.db) is not None,
    )


def compiled_queries_clear() -> None:
    """Forget every stored query (tests that change what a key's query would be)."""
    with _lock:
        _cache.clear()


# --- Instances straight from the stored SQL's rows ------------------------------------------------


@dataclass(frozen=True)
class _RowPlan:
    """What Django's ModelIterable works out from the compiler before it makes each row's instance
    (the same for every run of a stored query, so kept)."""

    model: type
    init_list: list[str]
    start: int
    end: int
    populators: list  # select_related: RelatedPopulators, which keep nothing of a row
    annotations: tuple[tuple[str, int], ...]
    columns: tuple  # the result's expressions, whose converters apply
    trim: int | None  # the compiler's column count, when the SQL selects more columns than it reads
    locks: bool


def stored_instances(key: Hashable, /, *, rows: list | None = None, **values: Any) -> list | None:
    """The model instances that iterating `compiled_queryset(key, ...)` with these values gives,
    made the way Django's ModelIterable makes them (converters, select_related, annotations) from
    the stored SQL's rows, read here or given (`rows`, read ahead), without the queryset, compiler
    and iterator each iteration builds. None when the query is not stored yet or is not a plain
    model query (known related objects, prefetching, values()): then iterate `compiled_queryset`."""
    compiled = _cache.get(key)
    if not isinstance(compiled, _Compiled):
        return None
    if any(value is None or _out_of_range(value) for value in values.values()):
        return None
    db = compiled.template.db
    plan = _plan_for(compiled, db)
    if plan is None:
        return None
    connection = connections[db]
    refuse_lock_outside_transaction(connection, locks=plan.locks)
    if rows is None:
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, _params(compiled, values))
            rows = cursor.fetchall()
    converters = _converters(compiled, connection, db, plan.columns)
    instances = []
    for read in rows:
        row = read if plan.trim is None else read[: plan.trim]
        if converters:
            row = list(row)
            for position, (functions, expression) in converters:
                value = row[position]
                for convert in functions:
                    value = convert(value, expression, connection)
                row[position] = value
        instance = plan.model.from_db(db, plan.init_list, row[plan.start : plan.end])
        for populator in plan.populators:
            populator.populate(row, instance)
        for name, position in plan.annotations:
            setattr(instance, name, row[position])
        instances.append(instance)
    return instances


def refuse_lock_outside_transaction(connection, *, locks: bool) -> None:
    """The compiler's check of a locking read, which a stored statement skips with the compiler."""
    if locks and connection.get_autocommit() and connection.features.has_select_for_update:
        raise TransactionManagementError("select_for_update cannot be used outside of a transaction.")


def stored_model(key: Hashable) -> type:
    """The model of the query stored for `key` (stored by an earlier call)."""
    return _cache[key].template.model


def _plan_for(compiled: _Compiled, db: str) -> "_RowPlan | None":
    plan = compiled.row_plans.get(db, _RETRY)
    if plan is _RETRY:
        with _lock:
            plan = compiled.row_plans.setdefault(db, _row_plan(compiled, db))
    return plan


def _row_plan(compiled: _Compiled, db: str) -> _RowPlan | None:
    template, state = compiled.template, compiled.state
    if (
        template._iterable_class is not ModelIterable
        or template._known_related_objects
        or template._prefetch_related_lookups
        or not state.get("klass_info")
    ):
        return None
    compiler = _stored_compiler(compiled, db)
    select, klass_info = state["select"], state["klass_info"]
    columns = tuple(s[0] for s in select[0 : state["col_count"]])
    if compiler.has_composite_fields(columns):
        return None
    select_fields = klass_info["select_fields"]
    start, end = select_fields[0], select_fields[-1] + 1
    return _RowPlan(
        model=klass_info["model"],
        init_list=[f[0].target.attname for f in select[start:end]],
        start=start,
        end=end,
        populators=get_related_populators(klass_info, select, db),
        annotations=tuple((state.get("annotation_col_map") or {}).items()),
        columns=columns,
        trim=state["col_count"] if state.get("has_extra_select") else None,
        locks=bool(template.query.select_for_update),
    )


def _stored_compiler(compiled: _Compiled, db: str):
    compiler = compiled.template.query.get_compiler(using=db)
    vars(compiler).update(compiled.state)
    return compiler


def _converters(compiled: _Compiled, connection, db: str, columns: tuple) -> list:
    """The row converters of these columns, as `results_iter` applies them (kept per connection)."""
    per_connection = compiled.converters.get(connection)
    kept = per_connection.get(tuple(map(id, columns))) if per_connection is not None else None
    if kept is None:
        kept = _kept_converters(compiled, _stored_compiler(compiled, db))(list(columns))
    return list(kept.items())
