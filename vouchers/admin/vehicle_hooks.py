"""What the vouchers app adds to a vehicle's back-office pages: its vouchers on the timeline, and
the first-owner benefits an ownership transfer would void (the same selector the transfer uses)."""

from django.utils.translation import gettext

from vehicles.admin.extensions import TimelineEntry, timeline_sources, transfer_voids
from vehicles.selectors import vehicle_current_owner

from ..models import Voucher
from ..selectors import first_owner_vouchers_of


def _vouchers(vehicle) -> list[TimelineEntry]:
    return [
        TimelineEntry(
            v.issued_at, gettext("Voucher issued"), f"{v.definition.title} · {v.get_status_display()}"
        )
        for v in Voucher.objects.filter(vehicle=vehicle).select_related("definition")
    ]


def _voided_by_transfer(vehicle) -> list[str]:
    owner = vehicle_current_owner(vehicle)
    if owner is None:
        return []
    return [
        f"{v.definition.title} ({v.code_display})"
        for v in first_owner_vouchers_of(vehicle, owner).select_related("definition").order_by("pk")
    ]


timeline_sources.append(_vouchers)
transfer_voids.append(_voided_by_transfer)
