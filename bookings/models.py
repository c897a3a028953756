"""Booking requests: an owner asks a dealer for a service slot; the dealer confirms, proposes
another time or declines; the owner accepts a proposal or cancels. Not a workshop planner: a slot
is a day and a half-day, with no capacity."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from members.actors import ActorKind, actor_display
from members.models import Dealer, Member
from vehicles.models import Vehicle
from vouchers.models import VoucherDefinition


class Slot(models.TextChoices):
    MORNING = "morning", _("Morning")
    AFTERNOON = "afternoon", _("Afternoon")


class BookingRequest(models.Model):
    class Status(models.TextChoices):
        REQUESTED = "requested", _("Waiting for the dealer")
        PROPOSED = "proposed", _("Dealer proposed another time")
        CONFIRMED = "confirmed", _("Confirmed")
        DECLINED = "declined", _("Declined by the dealer")
        CANCELLED = "cancelled", _("Cancelled by the owner")

    # What an owner may book: the voucher categories, so a reminder or a voucher names the service.
    Service = VoucherDefinition.Category

    member = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="booking_requests", verbose_name=_("member")
    )
    vehicle = models.ForeignKey(
        Vehicle, on_delete=models.CASCADE, related_name="booking_requests", verbose_name=_("vehicle")
    )
    dealer = models.ForeignKey(
        Dealer, on_delete=models.PROTECT, related_name="booking_requests", verbose_name=_("dealer")
    )
    service = models.CharField(_("service"), max_length=20, choices=Service.choices)
    requested_on = models.DateField(_("requested date"))
    requested_slot = models.CharField(_("requested time"), max_length=10, choices=Slot.choices)
    note = models.CharField(_("owner's note"), max_length=500, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.REQUESTED)
    # The time on the table: the dealer's proposal while proposed, the agreed time once confirmed.
    offered_on = models.DateField(_("proposed or confirmed date"), null=True, blank=True)
    offered_slot = models.CharField(
        _("proposed or confirmed time"), max_length=10, choices=Slot.choices, blank=True
    )
    dealer_note = models.CharField(_("dealer's note"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created"))
    updated_at = models.DateTimeField(_("updated"))
    # The portal form's token: a double tap or a resubmitted page finds the first request.
    idempotency_key = models.CharField(_("idempotency key"), max_length=100, editable=False)

    class Meta:
        ordering = ["requested_on", "pk"]
        verbose_name = _("booking request")
        verbose_name_plural = _("booking requests")
        indexes = [
            models.Index(fields=["dealer", "status", "requested_on"], name="booking_dealer_queue"),
            models.Index(fields=["member", "created_at"], name="booking_member_created"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["requested", "proposed", "confirmed", "declined", "cancelled"]),
                name="booking_status_valid",
            ),
            models.CheckConstraint(condition=Q(requested_slot__in=Slot.values), name="booking_slot_valid"),
            models.CheckConstraint(
                condition=Q(offered_slot__in=["", *Slot.values]), name="booking_offered_slot_valid"
            ),
            # A proposal or a confirmation always names its time; a request waiting has none yet.
            models.CheckConstraint(
                condition=Q(status__in=["proposed", "confirmed"], offered_on__isnull=False)
                & ~Q(offered_slot="")
                | Q(status="requested", offered_on__isnull=True, offered_slot="")
                | Q(status__in=["declined", "cancelled"]),
                name="booking_offer_matches_status",
            ),
            # One open question per car and dealer: the owner changes it rather than piling up asks.
            models.UniqueConstraint(
                fields=["vehicle", "dealer"],
                condition=Q(status__in=["requested", "proposed"]),
                name="booking_one_open_per_vehicle_dealer",
            ),
            models.UniqueConstraint(fields=["idempotency_key"], name="booking_idempotency_key_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.vehicle.plate} @ {self.dealer.code} {self.requested_on:%Y-%m-%d}"

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.REQUESTED, self.Status.PROPOSED)


class BookingEvent(models.Model):
    """The request's history: every change, who made it and when (append-only, written by services)."""

    class Action(models.TextChoices):
        REQUESTED = "requested", _("Requested by the owner")
        CONFIRMED = "confirmed", _("Confirmed by the dealer")
        PROPOSED = "proposed", _("Another time proposed by the dealer")
        DECLINED = "declined", _("Declined by the dealer")
        ACCEPTED = "accepted", _("Proposal accepted by the owner")
        CANCELLED = "cancelled", _("Cancelled by the owner")

    booking = models.ForeignKey(
        BookingRequest, on_delete=models.CASCADE, related_name="events", verbose_name=_("booking request")
    )
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    status_after = models.CharField(_("status after"), max_length=10, choices=BookingRequest.Status.choices)
    day = models.DateField(_("date"), null=True, blank=True)
    slot = models.CharField(_("time"), max_length=10, choices=Slot.choices, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    actor_label = models.CharField(_("by"), max_length=150)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("staff user"),
    )
    at = models.DateTimeField(_("when"))

    class Meta:
        ordering = ["booking_id", "at", "pk"]
        verbose_name = _("booking history entry")
        verbose_name_plural = _("booking history")
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    action__in=["requested", "confirmed", "proposed", "declined", "accepted", "cancelled"]
                ),
                name="booking_event_action_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} ({self.at:%Y-%m-%d %H:%M})"

    @property
    def actor_display(self) -> str:
        # An owner is named by their id in the label: staff read "Owner", never a number.
        if self.actor_label.startswith(f"{ActorKind.OWNER.value}:"):
            return str(ActorKind.OWNER.label)
        return actor_display(self.actor_label)
