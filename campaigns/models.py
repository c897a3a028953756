from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.models import Channel, Dealer, Language, Member, Tier
from vehicles.models import VehicleModel
from vouchers.models import VoucherDefinition


class Notification(models.Model):
    """The outbox: every message to an owner is a row first, then sent by a django-q2 task."""

    class Purpose(models.TextChoices):
        LOGIN_CODE = "login_code", _("Sign-in code")
        EXPIRY_REMINDER = "expiry_reminder", _("Expiry reminder")
        UNUSED_VALUE = "unused_value", _("Unused value reminder")
        SERVICE_REMINDER = "service_reminder", _("Service reminder")
        LIFECYCLE = "lifecycle", _("Lifecycle programme")
        CAMPAIGN = "campaign", _("Campaign")
        VOUCHER_ISSUED = "voucher_issued", _("Voucher issued")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Skipped (no consent or no address)")

    member = models.ForeignKey(
        Member,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("member"),
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    recipient = models.CharField(_("recipient"), max_length=120, help_text=_("phone, e-mail or LINE user id"))
    purpose = models.CharField(_("purpose"), max_length=30, choices=Purpose.choices, db_index=True)
    template_key = models.CharField(_("template"), max_length=60, blank=True)
    language = models.CharField(
        _("language"), max_length=10, choices=Language.choices, default=Language.ZH_HANT
    )
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("text"))
    promotional = models.BooleanField(_("promotional"), default=False)
    dedup_key = models.CharField(
        _("de-duplication key"), max_length=200, unique=True, help_text=_("unique per purpose and period")
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    not_before = models.DateTimeField(_("not before"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("notification")
        verbose_name_plural = _("notification outbox")
        indexes = [
            models.Index(fields=["status", "not_before"]),
            models.Index(fields=["member", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} → {self.recipient}"


class Segment(models.Model):
    """A saved audience of vehicles and their current owners; every condition given must hold."""

    class Consent(models.TextChoices):
        ANY = "", _("Any")
        SERVICE = "service", _("Service reminders consent")
        MARKETING = "marketing", _("Marketing consent")

    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    vehicle_models = models.ManyToManyField(VehicleModel, blank=True, verbose_name=_("vehicle models"))
    dealers = models.ManyToManyField(Dealer, blank=True, verbose_name=_("selling dealers"))
    cities = models.CharField(_("cities"), max_length=200, blank=True, help_text=_("comma-separated"))
    min_tier = models.PositiveSmallIntegerField(
        _("minimum tier"), choices=Tier.choices, null=True, blank=True
    )
    delivered_from = models.DateField(_("delivered on or after"), null=True, blank=True)
    delivered_to = models.DateField(_("delivered on or before"), null=True, blank=True)
    last_visit_before = models.DateField(_("last visit before"), null=True, blank=True)
    last_visit_after = models.DateField(_("last visit on or after"), null=True, blank=True)
    has_voucher_category = models.CharField(
        _("holds a usable voucher of"), max_length=20, choices=VoucherDefinition.Category.choices, blank=True
    )
    lacks_voucher_category = models.CharField(
        _("holds no usable voucher of"), max_length=20, choices=VoucherDefinition.Category.choices, blank=True
    )
    consent = models.CharField(_("consent"), max_length=10, choices=Consent.choices, blank=True, default="")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("segment")
        verbose_name_plural = _("segments")
        constraints = [
            models.CheckConstraint(
                condition=Q(delivered_from__isnull=True)
                | Q(delivered_to__isnull=True)
                | Q(delivered_to__gte=models.F("delivered_from")),
                name="segment_delivery_range_ordered",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def cities_list(self) -> list[str]:
        return [c.strip() for c in self.cities.split(",") if c.strip()]
