"""Row locks of the vouchers app. The rule (strength, order, short blocks): docs/architecture.md,
"Concurrency rules". Call inside `transaction.atomic()`."""

from django.db.models import QuerySet

from .models import IssueBatch, IssueBatchRow, Order, RefundRequest, Voucher, VoucherDefinition


def voucher_for_update(voucher_id: int) -> Voucher:
    """Lock one voucher row for the rest of the transaction (its definition is read, not locked)."""
    return (
        Voucher.objects.select_for_update(no_key=True, of=("self",))
        .select_related("definition")
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
