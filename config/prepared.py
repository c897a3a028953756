"""Single-row and small reads on the hot paths, compiled once (`config.compiled_query`).

A redemption reads five rows (the voucher by code, the vehicle by VIN or plate, the active dealer,
then both locks); compiling those querysets to SQL was about a fifth of the request's CPU. A
`PreparedSelect` names such a read once, at import, and answers like `QuerySet.get`, `.first` or
`list(...)`, sending the SQL the ORM compiled for it the first time with each call's values.

`read_together(...)` reads several of them in one statement on PostgreSQL (each as a LATERAL
subquery of one SELECT): a request that must look up three unrelated rows before it can act pays
one round trip for them instead of three. It changes only how many statements go, never an answer:
a `get` inside the block finds its rows there when it asks for exactly the values declared, and
reads them itself otherwise (another database, a locking read, a part with several rows).
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.core.exceptions import MultipleObjectsReturned
from django.db import connections
from django.db.models import QuerySet
from django.db.models.query import MAX_GET_RESULTS

from .compiled_query import (
    StoredStatement,
    compiled_queryset,
    refuse_lock_outside_transaction,
    stored_instances,
    stored_model,
    stored_statement,
)


class PreparedSelect:
    """`build(**values)` returns the queryset; `kind` is how its rows are taken: "get" (exactly
    one, else `Model.DoesNotExist` / `MultipleObjectsReturned`, as `QuerySet.get`), "first" (one or
    None; ordered by the primary key unless the queryset is ordered) or "all". `types` names the
    values a call passes (int or str)."""

    def __init__(self, build: Callable[..., QuerySet], *, kind: str = "get", **types: type):
        if kind not in ("get", "first", "all"):
            raise ValueError(f"unknown kind {kind!r}")
        if any(t not in (int, str) for t in types.values()):
            raise TypeError("values are int or str")
        self.build, self.kind, self.types = build, kind, types
        self._locks: bool | None = None  # whether the statement locks rows (known at the first call)
        self._model = None  # the queryset's model (known once a call has compiled or read it)

    def get(self, **values):
        if values.keys() != self.types.keys():
            raise TypeError(f"expected values {sorted(self.types)}, got {sorted(values)}")
        ahead = _read_ahead.get()
        found = ahead.pop(_read_key(self, values), None) if ahead else None
        rows = stored_instances(self, rows=found, **values)
        if rows is None:
            rows = self._through_queryset(values)
        if self.kind == "all":
            return rows
        if self.kind == "first":
            return rows[0] if rows else None
        model = stored_model(self) if self._model is None else self._model
        if not rows:
            raise model.DoesNotExist(f"{model._meta.object_name} matching query does not exist.")
        if len(rows) > 1:
            raise MultipleObjectsReturned(f"get() returned more than one {model._meta.object_name}.")
        return rows[0]

    def _through_queryset(self, values: dict) -> list:
        """The rows as the compiled queryset reads them (its first call, or a query whose rows
        `stored_instances` does not make: never read ahead, see `_part`)."""
        queryset = compiled_queryset(self, self._shaped, **values)
        self._model = queryset.model
        if self._locks is None:
            self._locks = bool(queryset.query.select_for_update)
        refuse_lock_outside_transaction(connections[queryset.db], locks=self._locks)
        return list(queryset)

    def _shaped(self, **values) -> QuerySet:
        """The limits `QuerySet.get` and `.first` add, so the statement is theirs."""
        queryset = self.build(**values)
        if self.kind == "first":
            if not queryset.ordered:
                queryset = queryset.order_by("pk")
            return queryset[:1]
        if self.kind == "get":
            queryset = queryset.order_by()
            features = connections[queryset.db].features
            if not queryset.query.select_for_update or features.supports_select_for_update_with_limit:
                queryset.query.set_limits(high=MAX_GET_RESULTS)
        return queryset


Read = tuple[PreparedSelect, dict]
_read_ahead: ContextVar[dict | None] = ContextVar("prepared_read_ahead", default=None)


def _read_key(select: PreparedSelect, values: dict) -> tuple:
    return (select, tuple(sorted(values.items())))


@contextmanager
def read_together(*reads: Read | None) -> Iterator[None]:
    """Read these `(prepared select, values)` in one statement now, for the `get` calls inside the
    block. A None read (the caller found nothing to look up, such as a malformed code) is left out;
    each read is taken once."""
    wanted = [read for read in reads if read is not None]
    token = _read_ahead.set(_read_in_one_statement(wanted) if len(wanted) > 1 else {})
    try:
        yield
    finally:
        _read_ahead.reset(token)


def _part(select: PreparedSelect, values: dict) -> StoredStatement | None:
    """The read's statement, to go as one subquery; None if it may not go with others (it may
    give several rows, or lock, or it is compiled every time, or its rows are not model instances
    `stored_instances` makes)."""
    if select.kind == "all":
        return None
    statement = stored_statement(select, select._shaped, **values)
    if statement is None or statement.locks or not statement.instances:
        return None
    return statement


def _read_in_one_statement(reads: list[Read]) -> dict:
    """{read's key: its rows}; {} when the reads cannot go together (each then reads alone)."""
    parts = [_part(select, values) for select, values in reads]
    if any(part is None or part.db != parts[0].db for part in parts):
        return {}
    connection = connections[parts[0].db]
    if connection.vendor != "postgresql":  # LATERAL is PostgreSQL's
        return {}
    quote = connection.ops.quote_name
    joins = " ".join(
        f"LEFT JOIN LATERAL ({part.sql}) AS {quote(f'read_{n}')} ON TRUE" for n, part in enumerate(parts)
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT * FROM (SELECT 1) AS {quote('reads')} {joins}",  # noqa: S608 - the ORM's own SQL
            [param for part in parts for param in part.params],
        )
        rows = cursor.fetchall()
    if len(rows) != 1 or len(rows[0]) != 1 + sum(part.columns for part in parts):
        return {}  # a part matched several rows (or gave columns it did not count): read each alone
    found, start = {}, 1
    for (select, values), part in zip(reads, parts, strict=True):
        segment = rows[0][start : start + part.columns]
        start += part.columns
        # A row's primary key is never NULL: all NULLs is the LEFT JOIN's "no row".
        found[_read_key(select, values)] = [] if all(value is None for value in segment) else [segment]
    return found
