"""Single-row and small reads on the hot paths, compiled once (`config.compiled_query`).

A redemption reads five rows (the voucher by code, the vehicle by VIN or plate, the active dealer,
then both locks); compiling those querysets to SQL was about a fifth of the request's CPU. A
`PreparedSelect` names such a read once, at import, and answers like `QuerySet.get`, `.first` or
`list(...)`, sending the SQL the ORM compiled for it the first time with each call's values.
"""

from collections.abc import Callable

from django.core.exceptions import MultipleObjectsReturned
from django.db import connections
from django.db.models import QuerySet
from django.db.models.query import MAX_GET_RESULTS
from django.db.transaction import TransactionManagementError

from .compiled_query import compiled_queryset


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

    def get(self, **values):
        if values.keys() != self.types.keys():
            raise TypeError(f"expected values {sorted(self.types)}, got {sorted(values)}")
        queryset = compiled_queryset(self, self._shaped, **values)
        if self._locks is None:
            self._locks = bool(queryset.query.select_for_update)
        # The stored SQL skips the compiler, and with it this check of Django's.
        connection = connections[queryset.db]
        if self._locks and connection.get_autocommit() and connection.features.has_select_for_update:
            raise TransactionManagementError("select_for_update cannot be used outside of a transaction.")
        rows = list(queryset)
        if self.kind == "all":
            return rows
        if self.kind == "first":
            return rows[0] if rows else None
        model = queryset.model
        if not rows:
            raise model.DoesNotExist(f"{model._meta.object_name} matching query does not exist.")
        if len(rows) > 1:
            raise MultipleObjectsReturned(f"get() returned more than one {model._meta.object_name}.")
        return rows[0]

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
