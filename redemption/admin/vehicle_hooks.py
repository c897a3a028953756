"""The redemptions on a vehicle's back-office timeline."""

from django.utils.translation import gettext

from vehicles.admin.extensions import TimelineEntry, timeline_sources

from ..models import Redemption


def _redemptions(vehicle) -> list[TimelineEntry]:
    return [
        TimelineEntry(
            r.completed_at or r.started_at,
            gettext("Redemption"),
            f"{r.voucher.definition.title} · {r.dealer.name} · {r.get_status_display()}",
        )
        for r in Redemption.objects.filter(vehicle=vehicle).select_related("voucher__definition", "dealer")
    ]


timeline_sources.append(_redemptions)
