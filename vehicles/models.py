from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from config.field_indexes import index_of_set_values
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
    model_year = models.PositiveSmallIntegerField(_("model year"), null=True, blank=True)
    delivery_date = models.DateField(_("delivery (invoice) date"), null=True, blank=True, db_index=True)
    last_mileage_km = models.PositiveIntegerField(_("last mileage (km)"), default=0)
    last_mileage_at = models.DateTimeField(_("last mileage recorded"), null=True, blank=True)
    # Not indexed: every redemption and visit updates it, and an index on it made each such UPDATE
    # write a new entry in all of the table's indexes (no HOT update); the queries by it (campaign
    # segments by local date, win-back walking the cars in key order) do not use one.
    last_visit_at = models.DateTimeField(_("last visit"), null=True, blank=True)
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

    # Indexed by (vehicle, recorded_at) below; its own index would only cost each reading's insert.
    vehicle = models.ForeignKey(
        Vehicle,
        verbose_name=_("vehicle"),
        on_delete=models.CASCADE,
        related_name="mileage_readings",
        db_index=False,
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
        db_index=False,  # indexed where set (Meta): imported and partner readings have none
    )
    actor_label = models.CharField(_("recorded by (label)"), max_length=80, blank=True)

    class Meta:
        ordering = ["vehicle_id", "recorded_at"]
        indexes = [
            models.Index(fields=["vehicle", "recorded_at"]),
            index_of_set_values("recorded_by", name="mileage_recorded_by_set"),
        ]
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


class Visit(models.Model):
    """A workshop visit (repair order) at a dealer, from the DMS, the partner API or the back office."""

    class Kind(models.TextChoices):
        MAINTENANCE = "maintenance", _("Maintenance")
        REPAIR = "repair", _("Repair")
        BODYWORK = "bodywork", _("Bodywork")
        INSPECTION = "inspection", _("Inspection")
        WASH = "wash", _("Wash")
        OTHER = "other", _("Other")

    class Source(models.TextChoices):
        IMPORT = "import", _("File import")
        API = "api", _("Partner API")
        BACK_OFFICE = "admin", _("Back office")

    vehicle = models.ForeignKey(Vehicle, on_delete=models.CASCADE, related_name="visits")
    dealer = models.ForeignKey(
        Dealer, on_delete=models.PROTECT, related_name="visits", verbose_name=_("dealer")
    )
    visited_on = models.DateField(_("date"))
    mileage_km = models.PositiveIntegerField(_("mileage (km)"), null=True, blank=True)
    repair_order = models.CharField(_("repair-order number"), max_length=40)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.OTHER)
    odometer_replaced = models.BooleanField(_("odometer replaced"), default=False)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        ordering = ["vehicle_id", "visited_on", "pk"]
        verbose_name = _("workshop visit")
        verbose_name_plural = _("workshop visits")
        constraints = [
            models.UniqueConstraint(fields=["dealer", "repair_order"], name="visit_repair_order_per_dealer"),
            models.CheckConstraint(condition=~Q(repair_order=""), name="visit_repair_order_present"),
        ]
        indexes = [models.Index(fields=["vehicle", "visited_on"])]

    def __str__(self) -> str:
        return f"{self.repair_order} ({self.visited_on})"


class DataChange(models.Model):
    """A value an import, the partner API or the back office changed: who, when, from where, old → new."""

    class Entity(models.TextChoices):
        VEHICLE = "vehicle", _("Vehicle")
        MEMBER = "member", _("Member")
        VISIT = "visit", _("Workshop visit")
        OWNERSHIP = "ownership", _("Ownership")

    entity = models.CharField(_("record"), max_length=10, choices=Entity.choices)
    object_id = models.PositiveBigIntegerField(_("record id"))
    vehicle = models.ForeignKey(
        Vehicle, on_delete=models.CASCADE, null=True, blank=True, related_name="data_changes"
    )
    field = models.CharField(_("field"), max_length=40)
    old_value = models.CharField(_("old value"), max_length=200, blank=True)
    new_value = models.CharField(_("new value"), max_length=200, blank=True)
    source = models.CharField(_("source"), max_length=10, choices=Visit.Source.choices)
    source_label = models.CharField(_("file or caller"), max_length=200, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    changed_at = models.DateTimeField(_("changed"), db_index=True)

    class Meta:
        ordering = ["-changed_at", "-pk"]
        verbose_name = _("data change")
        verbose_name_plural = _("data changes")
        indexes = [models.Index(fields=["entity", "object_id"])]

    def __str__(self) -> str:
        return f"{self.entity} {self.object_id} {self.field}: {self.old_value} → {self.new_value}"


class ImportBatch(models.Model):
    """One uploaded DMS/CRM file: a dry run that checks every row, then chunked, resumable applying."""

    class Kind(models.TextChoices):
        VEHICLES = "vehicles", _("Vehicles")
        OWNERS = "owners", _("Owners")
        VISITS = "visits", _("Workshop visits")

    class Status(models.TextChoices):
        CHECKING = "checking", _("Checking the rows (dry run)")
        PREPARED = "prepared", _("Checked, waiting for confirmation")
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")
        FAILED = "failed", _("The file could not be read")

    kind = models.CharField(_("records"), max_length=10, choices=Kind.choices)
    file_name = models.CharField(_("file"), max_length=200)
    dealer = models.ForeignKey(
        Dealer, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("dealer")
    )
    create_models = models.BooleanField(_("create unknown models"), default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.CHECKING, db_index=True
    )
    error = models.CharField(_("error"), max_length=300, blank=True)
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_valid = models.PositiveIntegerField(_("rows to import (dry run)"), default=0)
    rows_done = models.PositiveIntegerField(_("rows processed"), default=0)
    rows_applied = models.PositiveIntegerField(_("rows that changed data"), default=0)
    rows_unchanged = models.PositiveIntegerField(_("rows already up to date"), default=0)
    rows_rejected = models.PositiveIntegerField(_("rows rejected"), default=0)
    # The next row number to apply: chunks are row-number ranges, so a new task resumes here.
    cursor = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"))
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("data import")
        verbose_name_plural = _("data imports")
        constraints = [
            models.CheckConstraint(condition=Q(rows_done__lte=F("rows_total")), name="import_done_le_total"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.file_name}"


class ImportRow(models.Model):
    class Status(models.TextChoices):
        UNCHECKED = "unchecked", _("Not checked yet")
        PENDING = "pending", _("To import")
        APPLIED = "applied", _("Imported")
        UNCHANGED = "unchanged", _("Already up to date")
        REJECTED = "rejected", _("Rejected")

    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="rows")
    row_number = models.PositiveIntegerField(_("row"))
    data = models.JSONField(_("values"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    reason = models.CharField(_("reason"), max_length=30, blank=True)
    detail = models.CharField(_("detail"), max_length=300, blank=True)

    class Meta:
        ordering = ["batch_id", "row_number"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "row_number"], name="import_row_number_unique"),
        ]
        # The next range of a status (dry run, import) and the rejected rows' list are index seeks.
        indexes = [models.Index(fields=["batch", "status", "row_number"], name="import_row_status_idx")]

    def __str__(self) -> str:
        return f"{self.batch_id}:{self.row_number}"


class VehicleAlert(models.Model):
    """A condition the car itself reported (telematics): open until a workshop visit or an advisor
    closes it. The sender's own alert id makes a resent alert the same alert."""

    class Kind(models.TextChoices):
        TYRE_PRESSURE = "tyre_pressure", _("Tyre pressure")
        BATTERY = "battery", _("Battery")
        OIL_LIFE = "oil_life", _("Oil life")
        SERVICE_DUE = "service_due", _("Service due")
        WARNING_LAMP = "warning_lamp", _("Warning lamp")

    class Severity(models.TextChoices):
        INFO = "info", _("Information")
        WARNING = "warning", _("Warning")
        CRITICAL = "critical", _("Critical")

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("alert status", "Open")
        CLOSED = "closed", _("Closed")

    class ClosedBy(models.TextChoices):
        VISIT = "visit", _("Workshop visit")
        ADVISOR = "advisor", _("Service advisor")

    vehicle = models.ForeignKey(
        Vehicle, on_delete=models.CASCADE, related_name="alerts", verbose_name=_("vehicle")
    )
    # The sending system (an API key's name, unique and never renamed) and its own id of the alert.
    sender = models.CharField(_("sent by"), max_length=80)
    sender_alert_id = models.CharField(_("sender's alert id"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    message = models.CharField(_("message"), max_length=300, blank=True)
    raised_at = models.DateTimeField(_("raised at"))
    received_at = models.DateTimeField(_("received at"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.CharField(_("closed by"), max_length=10, choices=ClosedBy.choices, blank=True)
    closed_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("closed by (advisor)"),
    )
    closed_at_dealer = models.ForeignKey(
        Dealer,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("closed at (dealer)"),
    )
    closed_by_visit = models.ForeignKey(
        Visit,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="closed_alerts",
        verbose_name=_("closed by (visit)"),
    )
    close_reason = models.CharField(_("reason for closing"), max_length=200, blank=True)

    class Meta:
        ordering = ["-raised_at", "-pk"]
        verbose_name = _("vehicle alert")
        verbose_name_plural = _("vehicle alerts")
        constraints = [
            models.UniqueConstraint(
                fields=["sender", "sender_alert_id"], name="vehicle_alert_sender_id_unique"
            ),
            models.CheckConstraint(
                condition=(Q(status="open") & Q(closed_at__isnull=True) & Q(closed_by=""))
                | (Q(status="closed") & Q(closed_at__isnull=False) & ~Q(closed_by="")),
                name="vehicle_alert_closed_consistent",
            ),
        ]
        # The open alerts of a car (counter, portal, the visit that closes them) are an index seek.
        indexes = [models.Index(fields=["vehicle", "status", "raised_at"], name="vehicle_alert_open_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_severity_display()})"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN
