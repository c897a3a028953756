"""Partner systems: API keys, stored idempotent responses, webhook endpoints and their delivery log.

Imported by `redemption.models`, so Django registers these models in the redemption app.
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.actors import Actor
from members.models import Dealer


class ApiScope(models.TextChoices):
    READ = "read", _("Read vouchers and vehicles")
    ISSUE = "issue", _("Issue and activate vouchers")
    REDEEM = "redeem", _("Redeem and reverse vouchers")
    VEHICLES = "vehicles", _("Send vehicles, deliveries, owners and workshop visits")
    TELEMATICS = "telematics", _("Send the cars' telematics alerts")


class ApiKey(models.Model):
    """A partner system's credential. Only a SHA-256 hash of the secret is stored."""

    name = models.SlugField(_("name"), max_length=60, unique=True, help_text=_("e.g. online-shop, dms"))
    prefix = models.CharField(_("key prefix"), max_length=16, unique=True, editable=False)
    secret_hash = models.CharField(max_length=64, editable=False)
    scopes = models.JSONField(_("scopes"), default=list)
    dealers = models.ManyToManyField(
        Dealer,
        blank=True,
        related_name="+",
        verbose_name=_("may redeem only at"),
        help_text=_("empty: every dealer"),
    )
    rate_limit_per_minute = models.PositiveIntegerField(
        _("requests per minute"), null=True, blank=True, help_text=_("empty: the site default")
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, db_index=True)
    revoked_reason = models.CharField(_("revocation reason"), max_length=200, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def actor(self) -> Actor:
        """Who did it, in the ledger and on redemptions; names are unique and never change."""
        return Actor.api_key(self)

    def has_scope(self, scope: str) -> bool:
        return scope in (self.scopes or [])


class IdempotencyRecord(models.Model):
    """The first response to a POST with an Idempotency-Key, replayed for retries of that request."""

    class Status(models.TextChoices):
        PROCESSING = "processing", _("Processing")
        COMPLETED = "completed", _("Completed")

    # Leads the unique (api_key, key) constraint below; its own index would only cost each insert.
    api_key = models.ForeignKey(
        ApiKey, on_delete=models.CASCADE, related_name="idempotency_records", db_index=False
    )
    key = models.CharField(max_length=100)
    fingerprint = models.CharField(max_length=64, help_text=_("SHA-256 of method, path and canonical body"))
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=300)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PROCESSING)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_content_type = models.CharField(max_length=100, blank=True)
    response_body = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    locked_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")
        constraints = [
            models.UniqueConstraint(fields=["api_key", "key"], name="idempotency_key_unique_per_api_key"),
            models.CheckConstraint(
                condition=Q(status="processing") | Q(response_status__isnull=False),
                name="idempotency_completed_has_response",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.api_key_id}:{self.key}"


class WebhookEvent(models.TextChoices):
    VOUCHER_ISSUED = "voucher.issued", _("Voucher issued")
    VOUCHER_REDEEMED = "voucher.redeemed", _("Voucher redeemed")
    VOUCHER_REVERSED = "voucher.reversed", _("Redemption reversed")
    VOUCHER_EXPIRED = "voucher.expired", _("Voucher expired")


class WebhookEndpoint(models.Model):
    """A partner's URL that receives signed events about the vouchers it issued or redeemed."""

    api_key = models.ForeignKey(
        ApiKey, on_delete=models.CASCADE, related_name="webhook_endpoints", verbose_name=_("API key")
    )
    url = models.URLField(_("URL"), max_length=500)
    # Kept readable: the platform signs every delivery with it (HMAC-SHA256).
    secret = models.CharField(_("signing secret"), max_length=128)
    events = models.JSONField(_("events"), default=list, help_text=_("empty: every event"))
    all_vouchers = models.BooleanField(
        _("every voucher"),
        default=False,
        help_text=_("Operations only: receive events about every voucher, not only the partner's own."),
    )
    description = models.CharField(_("description"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    # The registering request's idempotency key: a retry answers this endpoint, never a second one.
    idempotency_key = models.CharField(  # noqa: DJ001
        _("idempotency key"), max_length=200, null=True, blank=True, editable=False
    )

    class Meta:
        ordering = ["pk"]
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        constraints = [
            models.UniqueConstraint(
                fields=["api_key", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="webhook_endpoint_idempotency_per_api_key",
            ),
            models.UniqueConstraint(
                fields=["api_key", "url"],
                condition=Q(is_active=True),
                name="one_active_webhook_endpoint_per_url",
            ),
        ]

    def __str__(self) -> str:
        return self.url

    def wants(self, event: str) -> bool:
        return not self.events or event in self.events


class WebhookDelivery(models.Model):
    """One event for one endpoint: the outbox row, then the log of its delivery attempts."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed (gave up)")

    endpoint = models.ForeignKey(
        WebhookEndpoint,
        verbose_name=_("webhook endpoint"),
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    event_id = models.UUIDField(_("event id"), unique=True)
    event = models.CharField(_("event"), max_length=30, choices=WebhookEvent.choices)
    payload = models.JSONField(_("payload"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    lease_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(_("last HTTP status"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due")]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint_id} ({self.status})"
