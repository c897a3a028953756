"""Read-side queries of the campaigns app: who is in a segment."""

from django.db.models import Exists, OuterRef, Q, QuerySet

from members.models import Member
from vehicles.models import Ownership, Vehicle
from vouchers.models import Voucher

from .models import Segment

_USABLE = [Voucher.Status.ACTIVE, Voucher.Status.INACTIVE, Voucher.Status.HELD]


def segment_vehicles(segment: Segment) -> QuerySet[Vehicle]:
    """Vehicles in the segment (each with a current owner who meets the member conditions)."""
    owners = Ownership.objects.filter(vehicle=OuterRef("pk"), ended_at__isnull=True)
    if segment.min_tier:
        owners = owners.filter(member__tier__gte=segment.min_tier)
    if segment.consent == Segment.Consent.SERVICE:
        owners = owners.filter(member__consent_service=True)
    elif segment.consent == Segment.Consent.MARKETING:
        owners = owners.filter(member__consent_marketing=True)
    vehicles = Vehicle.objects.filter(Exists(owners))
    model_ids = list(segment.vehicle_models.values_list("pk", flat=True))
    if model_ids:
        vehicles = vehicles.filter(model_id__in=model_ids)
    dealer_ids = list(segment.dealers.values_list("pk", flat=True))
    if dealer_ids:
        vehicles = vehicles.filter(selling_dealer_id__in=dealer_ids)
    if segment.cities_list:
        vehicles = vehicles.filter(selling_dealer__city__in=segment.cities_list)
    if segment.delivered_from:
        vehicles = vehicles.filter(delivery_date__gte=segment.delivered_from)
    if segment.delivered_to:
        vehicles = vehicles.filter(delivery_date__lte=segment.delivered_to)
    if segment.last_visit_before:
        vehicles = vehicles.filter(
            Q(last_visit_at__date__lt=segment.last_visit_before) | Q(last_visit_at__isnull=True)
        )
    if segment.last_visit_after:
        vehicles = vehicles.filter(last_visit_at__date__gte=segment.last_visit_after)
    for category, wanted in ((segment.has_voucher_category, True), (segment.lacks_voucher_category, False)):
        if category:
            holds = Exists(
                Voucher.objects.filter(
                    vehicle=OuterRef("pk"), definition__category=category, status__in=_USABLE
                )
            )
            vehicles = vehicles.filter(holds if wanted else ~holds)
    return vehicles.order_by("pk")


def segment_members(segment: Segment) -> QuerySet[Member]:
    """Current owners of the segment's vehicles."""
    return (
        Member.objects.filter(
            ownerships__ended_at__isnull=True, ownerships__vehicle__in=segment_vehicles(segment)
        )
        .distinct()
        .order_by("pk")
    )
