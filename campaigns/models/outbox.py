"""The notification outbox and the message templates operations edit."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.models import Channel, Language, Member


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
        LOYALTY = "loyalty", _("Points and tier")
        INSPECTION_REMINDER = "inspection_reminder", _("Periodic inspection reminder")
        NPS_SURVEY = "nps_survey", _("Satisfaction survey")
        NPS_DETRACTOR = "nps_detractor", _("Detractor alert to the dealer")
        BOOKING = "booking", _("Service booking")
        VEHICLE_ALERT = "vehicle_alert", _("Vehicle alert")
        VEHICLE_ALERT_CRITICAL = "vehicle_alert_critical", _("Critical vehicle alert")
        FOLLOW_UP = "follow_up", _("Follow-up after a service")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Skipped (no consent or no address)")

    # Indexed by (member, created_at) below; an index of its own would cost every row written.
    member = models.ForeignKey(
        Member,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("member"),
        db_index=False,
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    # As long as the longest e-mail address a member may have (254).
    recipient = models.CharField(_("recipient"), max_length=254, help_text=_("phone, e-mail or LINE user id"))
    purpose = models.CharField(_("purpose"), max_length=30, choices=Purpose.choices)
    template_key = models.CharField(_("template"), max_length=60, blank=True)
    language = models.CharField(
        _("language"), max_length=10, choices=Language.choices, default=Language.ZH_HANT
    )
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("text"))
    promotional = models.BooleanField(_("promotional"), default=False)
    # Unique by a constraint in Meta, not unique=True: that would add a second (LIKE) index on
    # PostgreSQL which nothing uses and every message written pays for.
    dedup_key = models.CharField(
        _("de-duplication key"), max_length=200, help_text=_("unique per purpose and period")
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    not_before = models.DateTimeField(_("not before"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    # Sent to the provider with every attempt (LINE's X-Line-Retry-Key, the SMS gateway's client
    # reference), so a retry after a lost answer is recognised by the provider and not delivered twice.
    retry_key = models.UUIDField(_("retry key"), default=uuid.uuid4, editable=False)
    # A worker that claimed the row owns it until then; a crashed worker's claim simply runs out.
    lease_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    provider_message_id = models.CharField(_("provider's message id"), max_length=120, blank=True)
    skip_reason = models.CharField(_("why skipped"), max_length=120, blank=True)
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("campaign"),
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("notification")
        verbose_name_plural = _("notification outbox")
        indexes = [
            models.Index(fields=["status", "not_before"]),
            models.Index(fields=["member", "created_at"]),
            models.Index(fields=["purpose"], name="notification_purpose"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["dedup_key"], name="notification_dedup_key_unique"),
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(sent_at__isnull=False), name="notification_sent_has_time"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} → {self.recipient}"


class MessageTemplate(models.Model):
    """The text of one kind of message in one language, in Django's template language."""

    class Key(models.TextChoices):
        LOGIN_CODE = "login_code", _("Sign-in code")
        EXPIRY_REMINDER = "expiry_reminder", _("Expiry reminder")
        UNUSED_VALUE = "unused_value", _("Unused value reminder")
        SERVICE_REMINDER = "service_reminder", _("Service reminder")
        VOUCHER_ISSUED = "voucher_issued", _("Voucher issued")
        NEW_CAR_CARE = "new_car_care", _("New-car care (days after delivery)")
        BIRTHDAY = "birthday", _("Birthday")
        PURCHASE_ANNIVERSARY = "purchase_anniversary", _("Purchase anniversary")
        WIN_BACK = "win_back", _("Win-back invitation")
        INSPECTION_REMINDER = "inspection_reminder", _("Periodic inspection reminder")
        NPS_SURVEY = "nps_survey", _("Satisfaction survey")
        BOOKING_CONFIRMED = "booking_confirmed", _("Booking confirmed")
        BOOKING_PROPOSED = "booking_proposed", _("Booking: another time proposed")
        BOOKING_DECLINED = "booking_declined", _("Booking declined")
        VEHICLE_ALERT = "vehicle_alert", _("Vehicle alert")

    key = models.CharField(_("message"), max_length=40, choices=Key.choices)
    language = models.CharField(_("language"), max_length=10, choices=Language.choices)
    subject = models.CharField(_("e-mail subject"), max_length=200, blank=True)
    body = models.TextField(_("text"), help_text=_("Django template language; see the variables below."))
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["key", "language"]
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        constraints = [
            models.UniqueConstraint(fields=["key", "language"], name="message_template_key_language"),
        ]

    def __str__(self) -> str:
        return f"{self.get_key_display()} ({self.get_language_display()})"
