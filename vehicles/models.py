from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from members.models import Dealer, Member


class VehicleModel(models.Model):
    code = models.CharField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=80)
    # Manufacturer's service schedule, used for "service due" reminders (whichever comes first).
    service_interval_km = models.PositiveIntegerField(_("service interval (km)"), default=15000)
    service_interval_months = models.PositiveSmallIntegerField(_("service interval (months)"), default=12)

    class Meta:
        ordering = ["name"]
        verbose_name = _("vehicle model")
        verbose_name_plural = _("vehicle models")

    def __str__(self) -> str:
        return self.name


class Vehicle(models.Model):
    vin = models.CharField(_("VIN"), max_length=17, unique=True)
    vin_check_digit_ok = models.BooleanField(_("VIN check digit valid"), default=True)
    plate = models.CharField(_("licence plate"), max_length=10)
    plate_key = models.CharField(_("plate search key"), max_length=10, unique=True, editable=False)
    model = models.ForeignKey(
        VehicleModel, on_delete=models.PROTECT, related_name="vehicles", verbose_name=_("model")
    )
    colour = models.CharField(_("colour"), max_length=40, blank=True)
    selling_dealer = models.ForeignKey(
        Dealer,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="sold_vehicles",
        verbose_name=_("selling dealer"),
    )
    delivery_date = models.DateField(_("delivery (invoice) date"), null=True, blank=True, db_index=True)
    last_mileage_km = models.PositiveIntegerField(_("last mileage (km)"), default=0)
    last_mileage_at = models.DateTimeField(_("last mileage recorded"), null=True, blank=True)
    last_visit_at = models.DateTimeField(_("last visit"), null=True, blank=True, db_index=True)
    # The owner's mobile number on the sales / DMS record (E.164), used to bind the car to the
    # member who signs in with it; blank when unknown.
    registered_owner_phone = models.CharField(_("registered owner's mobile"), max_length=20, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("vehicle")
        verbose_name_plural = _("vehicles")
        constraints = [
            models.CheckConstraint(
                condition=Q(vin__regex=r"^[A-HJ-NPR-Z0-9]{17}$"), name="vehicle_vin_format"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plate} ({self.model})" if self.model_id else self.plate


class PeriodQuerySet(models.QuerySet):
    """Rows with a `started_at`/`ended_at` period: ownerships and authorised drivers."""

    def current(self) -> "PeriodQuerySet":
        """The rows still in force (no end yet): the one place that says what "current" means."""
        return self.filter(ended_at__isnull=True)


class Ownership(models.Model):
    """Who owned (owns) a vehicle and when. At most one current owner per vehicle."""

    vehicle = models.ForeignKey(
        Vehicle, verbose_name=_("vehicle"), on_delete=models.CASCADE, related_name="ownerships"
    )
    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.PROTECT, related_name="ownerships"
    )
    started_at = models.DateTimeField(_("from"))
    ended_at = models.DateTimeField(_("to"), null=True, blank=True)
    is_first_owner = models.BooleanField(_("first owner"), default=False)

    objects = PeriodQuerySet.as_manager()

    class Meta:
        ordering = ["vehicle_id", "started_at"]
        verbose_name = _("ownership")
        verbose_name_plural = _("ownerships")
        constraints = [
            models.UniqueConstraint(
                fields=["vehicle"], condition=Q(ended_at__isnull=True), name="one_current_owner_per_vehicle"
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("started_at")),
                name="ownership_period",
            ),
        ]
        indexes = [models.Index(fields=["member", "ended_at"])]

    def __str__(self) -> str:
        return f"{self.member} — {self.vehicle}"


class AuthorisedDriver(models.Model):
    """A member the owner lets use the car (and its vehicle-held vouchers)."""

    vehicle = models.ForeignKey(
        Vehicle, verbose_name=_("vehicle"), on_delete=models.CASCADE, related_name="authorised_drivers"
    )
    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.CASCADE, related_name="authorised_vehicles"
    )
    started_at = models.DateTimeField(_("started"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    objects = PeriodQuerySet.as_manager()

    class Meta:
        verbose_name = _("authorised driver")
        verbose_name_plural = _("authorised drivers")
        constraints = [
            models.UniqueConstraint(
                fields=["vehicle", "member"],
                condition=Q(ended_at__isnull=True),
                name="one_active_authorisation",
            )
        ]
        indexes = [models.Index(fields=["member", "ended_at"])]

    def __str__(self) -> str:
        return f"{self.member} — {self.vehicle}"


class MileageReading(models.Model):
    """An odometer reading; the history lets reminders estimate when a car is due by mileage."""

    vehicle = models.ForeignKey(
        Vehicle, verbose_name=_("vehicle"), on_delete=models.CASCADE, related_name="mileage_readings"
    )
    km = models.PositiveIntegerField(_("mileage (km)"))
    recorded_at = models.DateTimeField(_("recorded at"), db_index=True)
    source = models.CharField(_("source"), max_length=40, blank=True)
    # A reading below the last one is taken only as a new odometer, with who said so and why; it
    # becomes the car's baseline.
    odometer_replaced = models.BooleanField(_("odometer replaced"), default=False)
    replacement_reason = models.CharField(_("reason for the replacement"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    actor_label = models.CharField(_("recorded by (label)"), max_length=80, blank=True)

    class Meta:
        ordering = ["vehicle_id", "recorded_at"]
        indexes = [models.Index(fields=["vehicle", "recorded_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(odometer_replaced=False) | ~Q(replacement_reason=""),
                name="mileage_replacement_has_reason",
            )
        ]

    def __str__(self) -> str:
        return f"{self.km} km"


class BindingRequest(models.Model):
    """An owner asked to bind a car that could not be matched automatically; operations decide."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.CASCADE, related_name="binding_requests"
    )
    vin = models.CharField(_("VIN"), max_length=17)
    plate = models.CharField(_("licence plate"), max_length=10)
    vehicle = models.ForeignKey(
        Vehicle,
        verbose_name=_("vehicle"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="binding_requests",
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(_("requested"), auto_now_add=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decision_reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("binding request")
        verbose_name_plural = _("binding requests")
        constraints = [
            models.UniqueConstraint(
                fields=["member", "vin"],
                condition=Q(status="pending"),
                name="one_pending_binding_per_member_vin",
            )
        ]

    def __str__(self) -> str:
        return f"{self.vin} / {self.plate}"
