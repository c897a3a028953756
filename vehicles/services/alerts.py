"""Telematics alerts: raised by the car's own system (idempotent by the sender's alert id), closed
by a workshop visit or by a service advisor.

Every write takes the vehicle's lock first (the order of every other vehicle write), so a resend
of one alert and a visit recorded at the same moment serialise on the car.
"""

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from config.stored_text import fit_to_column
from members.models import Dealer

from .. import signals
from ..exceptions import AlertCloseReasonMissing, AlertIdConflict, AlertNotOpen, DateInFuture
from ..locks import vehicle_for_update
from ..models import Vehicle, VehicleAlert, Visit

# A car's clock may run a little ahead of ours; further ahead is a wrong date, refused.
CLOCK_SKEW = timedelta(minutes=10)
# What must be equal for a resent alert to be the same alert (else: AlertIdConflict).
_IDENTITY = ("vehicle_id", "kind", "severity", "message", "raised_at")


def _same(alert: VehicleAlert, values: dict) -> bool:
    return all(getattr(alert, name) == values[name] for name in _IDENTITY)


def _replayed(alert: VehicleAlert, values: dict) -> tuple[VehicleAlert, bool]:
    if not _same(alert, values):
        raise AlertIdConflict(alert_id=alert.sender_alert_id)
    return alert, False


def alert_raise(
    *,
    vehicle: Vehicle,
    sender: str,
    sender_alert_id: str,
    kind: str,
    severity: str,
    raised_at: datetime,
    message: str = "",
    now: datetime | None = None,
) -> tuple[VehicleAlert, bool]:
    """Record an alert once per sender and alert id; (alert, whether it is new).

    The same id sent again with the same values returns the first alert and announces nothing; with
    other values it raises AlertIdConflict. A new alert announces `vehicle_alert_raised` (the owner
    is told after commit). Raises DateInFuture for a `raised_at` ahead of the clock.
    """
    now = now or timezone.now()
    if kind not in VehicleAlert.Kind.values or severity not in VehicleAlert.Severity.values:
        raise ValueError("kind/severity")
    sender_alert_id = sender_alert_id.strip()
    if not sender_alert_id or not sender:
        raise ValueError("sender_alert_id")
    if raised_at > now + CLOCK_SKEW:
        raise DateInFuture(date=timezone.localtime(raised_at).isoformat(timespec="seconds"))
    values = {
        "vehicle_id": vehicle.pk,
        "kind": kind,
        "severity": severity,
        "message": fit_to_column(VehicleAlert, "message", message.strip()),
        "raised_at": raised_at,
    }
    with transaction.atomic():
        vehicle_for_update(vehicle.pk)
        existing = VehicleAlert.objects.filter(sender=sender, sender_alert_id=sender_alert_id).first()
        if existing is not None:
            return _replayed(existing, values)
        try:
            with transaction.atomic():
                alert = VehicleAlert.objects.create(
                    sender=sender, sender_alert_id=sender_alert_id, received_at=now, **values
                )
        except IntegrityError:
            # The same id sent for another car at the same moment: that car's lock did not stop it.
            return _replayed(VehicleAlert.objects.get(sender=sender, sender_alert_id=sender_alert_id), values)
        signals.vehicle_alert_raised.send(VehicleAlert, alert=alert, now=now)
    return alert, True


def alert_close(
    *, alert: VehicleAlert, advisor, reason: str, dealer: Dealer | None = None, now: datetime | None = None
) -> VehicleAlert:
    """An advisor at `dealer` closes an open alert (checked the car, or the owner declined). Raises
    AlertCloseReasonMissing, AlertNotOpen."""
    now = now or timezone.now()
    reason = reason.strip()
    if not reason:
        raise AlertCloseReasonMissing()
    with transaction.atomic():
        vehicle_for_update(alert.vehicle_id)
        locked = VehicleAlert.objects.select_for_update().get(pk=alert.pk)
        if not locked.is_open:
            raise AlertNotOpen()
        locked.status = VehicleAlert.Status.CLOSED
        locked.closed_at = now
        locked.closed_by = VehicleAlert.ClosedBy.ADVISOR
        locked.closed_by_user = advisor if getattr(advisor, "is_authenticated", False) else None
        locked.closed_at_dealer = dealer
        locked.close_reason = fit_to_column(VehicleAlert, "close_reason", reason)
        locked.save(
            update_fields=[
                "status",
                "closed_at",
                "closed_by",
                "closed_by_user",
                "closed_at_dealer",
                "close_reason",
            ]
        )
    return locked


def alerts_close_for_visit(*, vehicle: Vehicle, visit: Visit, visit_end: datetime, now: datetime) -> int:
    """A workshop visit closes every alert of the car open when it ended (whatever its kind: the
    workshop sees the car's warnings when it reads the car). An alert raised after the visit day
    stays open, so a visit imported late closes nothing newer. For a caller holding the vehicle's
    lock inside its transaction; returns how many were closed."""
    return VehicleAlert.objects.filter(
        vehicle=vehicle, status=VehicleAlert.Status.OPEN, raised_at__lt=visit_end
    ).update(
        status=VehicleAlert.Status.CLOSED,
        closed_at=now,
        closed_by=VehicleAlert.ClosedBy.VISIT,
        closed_by_visit=visit,
    )
