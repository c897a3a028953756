"""Row locks of the loyalty app. The rule (strength, order, short blocks): docs/architecture.md,
"Concurrency rules". Call inside `transaction.atomic()`.

Every change of a member's points serialises on their account row: lock it first, then read the
lots and the ledger, then write.
"""

from .models import PointsAccount


def account_for_update(account_id: int) -> PointsAccount:
    return PointsAccount.objects.select_for_update(no_key=True, of=("self",)).get(pk=account_id)
