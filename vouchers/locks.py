"""Row locks of the vouchers app. The rule (strength, order, short blocks): docs/architecture.md,
"Concurrency rules". Call inside `transaction.atomic()`."""

from django.db.models import Exists, OuterRef, QuerySet, Subquery

from .models import IssueBatch, IssueBatchRow, LedgerEntry, Order, RefundRequest, Voucher, VoucherDefinition


def voucher_for_update(voucher_id: int) -> Voucher:
    """Lock one voucher row for the rest of the transaction (its definition is read, not locked)."""
    return (
        Voucher.objects.select_for_update(no_key=True, of=("self",))
        .select_related("definition")
        .get(pk=voucher_id)
    )


def voucher_for_use(
    voucher_id: int,
    *,
    idempotency_key: str | None,
    vehicle_model_id: int | None,
    dealer_id: int | None,
    **annotations,
) -> Voucher:
    """Lock one voucher to use it, and read in the same statement what its use checks: the ledger
    entry an earlier call with `idempotency_key` wrote (`key_entry_id`, `key_entry_kind`) and
    whether the vehicle's model and the dealer pass the definition's lists (`model_listed_any`,
    `model_in_list`, `dealers_listed_any`, `dealer_in_list`; see `ledger_replay_locked` and
    `eligibility.ListedAt`). A caller in a higher app adds its own `annotations` (e.g. its own replay
    check), so one round trip serves the whole use."""
    models_through = VoucherDefinition.allowed_models.through
    dealers_through = VoucherDefinition.allowed_dealers.through
    of_definition = {"voucherdefinition_id": OuterRef("definition_id")}
    if idempotency_key:
        entries = LedgerEntry.objects.filter(voucher_id=OuterRef("pk"), idempotency_key=idempotency_key)
        annotations["key_entry_id"] = Subquery(entries.values("pk")[:1])
        annotations["key_entry_kind"] = Subquery(entries.values("kind")[:1])
    return (
        Voucher.objects.select_for_update(no_key=True, of=("self",))
        .select_related("definition")
        .annotate(
            model_listed_any=Exists(models_through.objects.filter(**of_definition)),
            model_in_list=Exists(
                models_through.objects.filter(**of_definition, vehiclemodel_id=vehicle_model_id)
            ),
            dealers_listed_any=Exists(dealers_through.objects.filter(**of_definition)),
            dealer_in_list=Exists(dealers_through.objects.filter(**of_definition, dealer_id=dealer_id)),
            **annotations,
        )
        .get(pk=voucher_id)
    )


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
    """Lock the batch's next `limit` pending rows, in row order (unique per batch: one order for all).

    Tuples, not rows: (pk, row number, vehicle id, member id, the vehicle's delivery date or None);
    the date is read (not locked) only when asked for.
    """
    delivery = "vehicle__delivery_date" if with_delivery_date else None
    rows = (
        IssueBatchRow.objects.filter(batch_id=batch_id, status=IssueBatchRow.Status.PENDING)
        .select_for_update(no_key=True, of=("self",))
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
