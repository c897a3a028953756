"""Row locks of the finance app (call inside `transaction.atomic()`)."""

from .models import SettlementStatement


def statement_for_update(statement_id: int) -> SettlementStatement:
    return (
        SettlementStatement.objects.select_for_update(of=("self",))
        .select_related("dealer")
        .get(pk=statement_id)
    )
