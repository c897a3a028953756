"""Row locks of the vouchers app. The rule (strength, order, short blocks): docs/architecture.md,
"Concurrency rules". Call inside `transaction.atomic()`."""

from collections.abc import Callable

from django.db import connection
from django.db.models import BigIntegerField, BooleanField, CharField, QuerySet
from django.db.models.expressions import RawSQL

from config.prepared import PreparedSelect

from .models import IssueBatch, IssueBatchRow, LedgerEntry, Order, RefundRequest, Voucher, VoucherDefinition


def voucher_for_update(voucher_id: int) -> Voucher:
    """Lock one voucher row for the rest of the transaction (its definition is read, not locked)."""
    return (
        Voucher.objects.select_for_update(no_key=True, of=("self",))
        .select_related("definition")
        .get(pk=voucher_id)
    )


def outer_column(model, field: str) -> str:
    """`table.column` of the row a correlated RawSQL annotation belongs to (the base table)."""
    quote = connection.ops.quote_name
    return f"{quote(model._meta.db_table)}.{quote(model._meta.get_field(field).column)}"


def correlated(model, *, select: str, where: dict[str, object], outer: dict[str, str], output_field):
    """A correlated scalar subquery as RawSQL: `SELECT select FROM model WHERE column = value AND
    column = <outer row's column>`. The hot path builds these by hand: the ORM's Exists/Subquery
    cost milliseconds of CPU to compile on every request, these almost nothing."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    column = lambda name: f"{table}.{quote(model._meta.get_field(name).column)}"  # noqa: E731
    conditions = [f"{column(name)} = %s" for name in where]
    conditions += [f"{column(name)} = {outer_sql}" for name, outer_sql in outer.items()]
    body = f"SELECT {select.format(table=table)} FROM {table} WHERE {' AND '.join(conditions)}"  # noqa: S608
    if isinstance(output_field, BooleanField):
        return RawSQL(f"EXISTS({body})", list(where.values()), output_field=output_field)  # noqa: S611
    return RawSQL(f"({body} LIMIT 1)", list(where.values()), output_field=output_field)  # noqa: S611


def _voucher_for_use_queryset(voucher_id, key, model_id, dealer_id, extra, *, key_entry) -> QuerySet[Voucher]:
    models_through = VoucherDefinition.allowed_models.through
    dealers_through = VoucherDefinition.allowed_dealers.through
    of_definition = {"voucherdefinition": outer_column(Voucher, "definition")}
    flag = BooleanField()
    annotations = extra(key) if extra is not None else {}
    if key_entry:
        by_key = {"where": {"idempotency_key": key}, "outer": {"voucher": outer_column(Voucher, "id")}}
        annotations["key_entry_id"] = correlated(
            LedgerEntry, select="{table}.id", output_field=BigIntegerField(), **by_key
        )
        annotations["key_entry_kind"] = correlated(
            LedgerEntry, select="{table}.kind", output_field=CharField(), **by_key
        )
    return (
        Voucher.objects.select_for_update(no_key=True, of=("self",))
        .select_related("definition")
        .annotate(
            model_listed_any=correlated(
                models_through, select="1", where={}, outer=of_definition, output_field=flag
            ),
            model_in_list=correlated(
                models_through,
                select="1",
                where={"vehiclemodel": model_id},
                outer=of_definition,
                output_field=flag,
            ),
            dealers_listed_any=correlated(
                dealers_through, select="1", where={}, outer=of_definition, output_field=flag
            ),
            dealer_in_list=correlated(
                dealers_through,
                select="1",
                where={"dealer": dealer_id},
                outer=of_definition,
                output_field=flag,
            ),
            **annotations,
        )
        .filter(pk=voucher_id)
    )


# One prepared statement per shape: (with an idempotency key?, the caller's extra annotations).
_FOR_USE: dict[tuple[bool, str], PreparedSelect] = {}


def voucher_for_use(
    voucher_id: int,
    *,
    idempotency_key: str | None,
    vehicle_model_id: int | None,
    dealer_id: int | None,
    extra: Callable[[str | None], dict] | None = None,
    extra_name: str = "",
) -> Voucher:
    """Lock one voucher to use it, and read in the same statement what its use checks: the ledger
    entry an earlier call with `idempotency_key` wrote (`key_entry_id`, `key_entry_kind`) and
    whether the vehicle's model and the dealer pass the definition's lists (`model_listed_any`,
    `model_in_list`, `dealers_listed_any`, `dealer_in_list`; see `ledger_replay_locked` and
    `eligibility.ListedAt`). A caller in a higher app adds its own annotations, so one round trip
    serves the whole use: `extra(idempotency_key)` returns them (e.g. its own replay check, built
    with `correlated`), and `extra_name` names that set, since the statement is prepared once per
    shape (`config.prepared`)."""
    shape = (bool(idempotency_key), extra_name if extra is not None else "")
    prepared = _FOR_USE.get(shape)
    if prepared is None:
        types = {"voucher_id": int, "model_id": int, "dealer_id": int}
        if shape[0] or extra is not None:
            types["key"] = str

        def build(voucher_id, model_id, dealer_id, key=None):
            return _voucher_for_use_queryset(voucher_id, key, model_id, dealer_id, extra, key_entry=shape[0])

        prepared = _FOR_USE.setdefault(shape, PreparedSelect(build, **types))
    values = {"voucher_id": voucher_id, "model_id": vehicle_model_id, "dealer_id": dealer_id}
    if "key" in prepared.types:
        values["key"] = idempotency_key
    return prepared.get(**values)


def vouchers_for_update(queryset: QuerySet[Voucher]) -> list[Voucher]:
    """Lock several vouchers, always in primary-key order so two jobs cannot deadlock."""
    return list(
        queryset.select_for_update(no_key=True, of=("self",)).select_related("definition").order_by("pk")
    )


def definition_for_update(definition_id: int) -> VoucherDefinition:
    """Lock a definition: issuance (stock, per-holder limit, issue keys) and its edits serialise on it."""
    return VoucherDefinition.objects.select_for_update(no_key=True, of=("self",)).get(pk=definition_id)


def issue_batch_for_update(batch_id: int) -> IssueBatch:
    """Lock a bulk-issue batch (its definition is read, not locked)."""
    return (
        IssueBatch.objects.select_for_update(no_key=True, of=("self",))
        .select_related("definition")
        .get(pk=batch_id)
    )


def issue_batch_pending_for_update(batch_id: int, limit: int, *, with_delivery_date: bool) -> list[tuple]:
    """Lock the batch's next `limit` pending rows, in row order, skipping the rows another worker's
    chunk holds: workers take disjoint chunks and never wait for one another's rows (a chunk that
    waited for rows while holding its batch's lock could deadlock with one that issues first and
    locks the batch last, `vouchers.services.bulk`).

    Tuples, not rows: (pk, row number, vehicle id, member id, the vehicle's delivery date or None);
    the date is read (not locked) only when asked for.
    """
    delivery = "vehicle__delivery_date" if with_delivery_date else None
    rows = (
        IssueBatchRow.objects.filter(batch_id=batch_id, status=IssueBatchRow.Status.PENDING)
        .select_for_update(no_key=True, of=("self",), skip_locked=True)
        .order_by("row_number")
    )
    if delivery is None:
        return [
            (*row, None) for row in rows.values_list("pk", "row_number", "vehicle_id", "member_id")[:limit]
        ]
    return list(rows.values_list("pk", "row_number", "vehicle_id", "member_id", delivery)[:limit])


def refund_request_for_update(refund_id: int) -> RefundRequest:
    """Lock a refund request (take its voucher's lock first)."""
    return RefundRequest.objects.select_for_update(no_key=True, of=("self",)).get(pk=refund_id)


def order_for_update(order_id: int) -> Order:
    return Order.objects.select_for_update(no_key=True, of=("self",)).get(pk=order_id)
