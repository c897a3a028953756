"""Search box of the voucher and ledger lists: a code, a plate or VIN, or a member's phone."""

import contextlib

from django.db.models import Q

from config.errors import DomainError
from members.phones import phone_normalise
from vehicles.exceptions import InvalidVin
from vehicles.identifiers import plate_search_key, vin_parse
from vehicles.models import Vehicle

from ..codes import code_parse


def voucher_search_condition(term: str, prefix: str = "") -> Q | None:
    """A condition on vouchers (or on `prefix`-related vouchers) for `term`; None for an empty term.

    Every branch is an exact match on a unique or indexed column, so the list stays fast.
    """
    term = term.strip()
    if not term:
        return None
    condition = Q(pk__in=[])
    with contextlib.suppress(DomainError):
        condition |= Q(**{f"{prefix}code": code_parse(term)})
    vehicle_match = Q(pk__in=[])
    with contextlib.suppress(InvalidVin):
        vehicle_match |= Q(vin=vin_parse(term).vin)
    key = plate_search_key(term)
    if key is not None:
        vehicle_match |= Q(plate_key=key)
    vehicle_ids = list(Vehicle.objects.filter(vehicle_match).values_list("pk", flat=True)[:50])
    if vehicle_ids:
        condition |= Q(**{f"{prefix}vehicle_id__in": vehicle_ids})
    if sum(c.isdigit() for c in term) >= 8:
        with contextlib.suppress(DomainError):
            condition |= Q(**{f"{prefix}member__phone": phone_normalise(term)})
    return condition
