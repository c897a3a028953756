"""Domain events the vehicles app announces to higher apps (sent inside the service's transaction)."""

from django.dispatch import Signal

# vehicle, member, role ("owner" | "driver"), now
vehicle_bound = Signal()
# vehicle, now
vehicle_delivered = Signal()
# vehicle, previous_owner (Member | None), new_owner, actor, reason, now
ownership_transferred = Signal()
# vehicle_ids (list[int], delivered for the first time by one import chunk), now
vehicles_delivered = Signal()
# vehicle, visit, now
visit_recorded = Signal()
# alert (a new VehicleAlert, not a resent one), now
vehicle_alert_raised = Signal()
