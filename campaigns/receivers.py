"""Vehicle events that issue vouchers (connected in CampaignsConfig.ready).

The receivers run inside the vehicles service's transaction, so they only enqueue a task after
commit: issuing can fail (stock, holder rules) and must not roll back the binding or the delivery.
"""

from django.db import transaction
from django.dispatch import receiver
from django_q.tasks import async_task

from bookings import signals as booking_signals
from bookings.models import BookingRequest
from loyalty import signals as loyalty_signals
from loyalty.models import TierChange
from redemption import signals as redemption_signals
from redemption.models import Redemption
from vehicles import signals as vehicle_signals
from vehicles.models import Ownership, Vehicle, VehicleAlert

from . import tasks
from .services.bookings import TEMPLATES as BOOKING_MESSAGES
from .services.events import Event, event_definitions


@receiver(vehicle_signals.vehicle_bound, sender=Vehicle, dispatch_uid="campaigns.vehicle_bound")
def on_vehicle_bound(sender, *, vehicle, member, role, now, **kwargs):
    if role != "owner":
        return  # an authorised driver is not a new owner
    vehicle_id, member_id = vehicle.pk, member.pk
    transaction.on_commit(lambda: async_task("campaigns.tasks.vehicle_bound", vehicle_id, member_id))


@receiver(vehicle_signals.vehicle_delivered, sender=Vehicle, dispatch_uid="campaigns.vehicle_delivered")
def on_vehicle_delivered(sender, *, vehicle, now, **kwargs):
    owner = Ownership.objects.current().filter(vehicle=vehicle).values_list("member_id", flat=True).first()
    vehicle_id = vehicle.pk
    transaction.on_commit(
        lambda: async_task("campaigns.tasks.event_issue", "vehicle_delivered", vehicle_id, owner)
    )


@receiver(vehicle_signals.vehicles_delivered, sender=Vehicle, dispatch_uid="campaigns.vehicles_delivered")
def on_vehicles_delivered(sender, *, vehicle_ids, now, **kwargs):
    """Many first deliveries from one import chunk: one task for them, only if a definition asks."""
    if not vehicle_ids or not event_definitions(Event.VEHICLE_DELIVERED).exists():
        return
    ids = sorted(vehicle_ids)
    transaction.on_commit(lambda: async_task("campaigns.tasks.delivered_issue", ids))


@receiver(loyalty_signals.tier_changed, sender=TierChange, dispatch_uid="campaigns.tier_changed")
def on_tier_changed(sender, *, change, **kwargs):
    """One message per upgrade or downgrade, written after the re-evaluation commits."""
    change_id = change.pk
    transaction.on_commit(lambda: async_task("campaigns.tasks.tier_change_notify", change_id))


# --- satisfaction surveys (NPS) after a redemption or a workshop visit ---------------------------


@receiver(redemption_signals.redemption_committed, sender=Redemption, dispatch_uid="campaigns.nps_redeemed")
def on_redemption_committed(sender, *, redemption_id, **kwargs):
    # In the worker after the commit, with the other listeners' follow-ups (one task per redeem).
    tasks.nps_survey_for_redemption(redemption_id)


@receiver(vehicle_signals.visit_recorded, sender=Vehicle, dispatch_uid="campaigns.nps_visit")
def on_visit_recorded(sender, *, visit, **kwargs):
    visit_id = visit.pk
    transaction.on_commit(lambda: async_task("campaigns.tasks.nps_survey_for_visit", visit_id))


# --- booking requests: the owner hears of the dealer's answer ------------------------------------


@receiver(booking_signals.booking_changed, sender=BookingRequest, dispatch_uid="campaigns.booking_changed")
def on_booking_changed(sender, *, booking, event, **kwargs):
    if event.action not in BOOKING_MESSAGES:
        return  # the owner's own request or cancellation: nothing to tell them
    event_id = event.pk
    transaction.on_commit(lambda: async_task("campaigns.tasks.booking_notify", event_id))


# --- telematics alerts: the owner is told (and rules may attach a voucher) ----------------------


@receiver(vehicle_signals.vehicle_alert_raised, sender=VehicleAlert, dispatch_uid="campaigns.vehicle_alert")
def on_vehicle_alert_raised(sender, *, alert, **kwargs):
    alert_id = alert.pk
    transaction.on_commit(lambda: async_task("campaigns.tasks.vehicle_alert_notify", alert_id))
