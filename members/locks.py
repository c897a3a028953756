"""Row locks of the members app. The rule (strength, order, short blocks): docs/architecture.md,
"Concurrency rules". Call inside `transaction.atomic()`."""

from collections.abc import Iterable

import config.lookups  # noqa: F401  (field__any_of)

from .models import ErasureRequest, Member


def member_for_update(member_id: int) -> Member:
    return Member.objects.select_for_update(no_key=True, of=("self",)).get(pk=member_id)


def members_for_update(member_ids: Iterable[int]) -> list[int]:
    """Lock several members, in primary-key order; their ids."""
    locked = Member.objects.select_for_update(no_key=True, of=("self",)).filter(pk__in=list(member_ids))
    return list(locked.order_by("pk").values_list("pk", flat=True))


def erasure_request_for_update(request_id: int) -> ErasureRequest:
    return ErasureRequest.objects.select_for_update(no_key=True, of=("self",)).get(pk=request_id)


def members_read_for_update(member_ids: Iterable[int]) -> dict[int, Member]:
    """Lock several members in primary-key order (as `members_for_update`) and read them too."""
    locked = Member.objects.select_for_update(no_key=True, of=("self",)).filter(pk__any_of=list(member_ids))
    return {member.pk: member for member in locked.order_by("pk")}
