"""Hooks through which higher apps add to the vehicles back office without vehicles importing them
(the layering forbids it): the vouchers and redemptions on a vehicle's timeline, and the vouchers
an ownership transfer would void. Their admin modules register here at admin autodiscovery."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from ..models import Vehicle


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    what: str
    detail: str = ""


# vehicle -> its entries (each source a few queries, whatever the number of entries)
timeline_sources: list[Callable[[Vehicle], list[TimelineEntry]]] = []
# vehicle -> a line for each voucher that transferring the vehicle's ownership would void
transfer_voids: list[Callable[[Vehicle], list[str]]] = []
