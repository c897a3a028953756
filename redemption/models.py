from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from config.field_indexes import index_of_set_values
from members.models import Dealer
from vehicles.models import Vehicle
from vouchers.models import LedgerEntry, Voucher


class Redemption(models.Model):
    """One use of a voucher at a dealer: held (service started), completed, cancelled or reversed."""

    class Status(models.TextChoices):
        HELD = "held", _("In service (held)")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")
        REVERSED = "reversed", _("Reversed")

    class Channel(models.TextChoices):
        COUNTER = "counter", _("Counter")
        API = "api", _("Partner API")
        ADMIN = "admin", _("Back office")

    # The voucher, vehicle and dealer keys lead the unique constraint and the composite indexes in
    # Meta, which serve every lookup by them: their own indexes would only cost each redemption's
    # insert (three more index entries on the hot path).
    voucher = models.ForeignKey(
        Voucher,
        on_delete=models.PROTECT,
        related_name="redemptions",
        verbose_name=_("voucher"),
        db_index=False,
    )
    vehicle = models.ForeignKey(
        Vehicle,
        on_delete=models.PROTECT,
        related_name="redemptions",
        verbose_name=_("vehicle"),
        db_index=False,
    )
    dealer = models.ForeignKey(
        Dealer, on_delete=models.PROTECT, related_name="redemptions", verbose_name=_("dealer"), db_index=False
    )
    advisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="redemptions",
        verbose_name=_("advisor"),
        db_index=False,  # indexed where set (Meta): API redemptions have none
    )
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices, default=Channel.COUNTER)
    actor_label = models.CharField(_("by"), max_length=80, blank=True)
    # The partner key that made it: what a key may later reverse and which webhooks hear of it.
    api_key = models.ForeignKey(
        "redemption.ApiKey",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="redemptions",
        verbose_name=_("API key"),
        db_index=False,  # indexed where set (Meta): counter redemptions have none
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    mileage_km = models.PositiveIntegerField(_("mileage (km)"), null=True, blank=True)
    work_order = models.CharField(_("work order"), max_length=40, blank=True)
    idempotency_key = models.CharField(_("idempotency key"), max_length=200)
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    reversed_at = models.DateTimeField(_("reversed"), null=True, blank=True)
    reversed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reversed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # indexed where set (Meta): few redemptions are reversed
    )
    reversal_reason = models.CharField(_("reversal reason"), max_length=300, blank=True)
    redeemed_entry = models.OneToOneField(
        LedgerEntry,
        verbose_name=_("ledger entry"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="redemption",
    )

    class Meta:
        ordering = ["-started_at", "-pk"]
        permissions = [("reverse_redemption", _("Can reverse a redemption within the reversal window"))]
        verbose_name = _("redemption")
        verbose_name_plural = _("redemptions")
        constraints = [
            models.UniqueConstraint(
                fields=["voucher"], condition=Q(status="held"), name="one_open_hold_per_voucher"
            ),
            models.UniqueConstraint(
                fields=["voucher", "idempotency_key"], name="redemption_idempotency_per_voucher"
            ),
            models.CheckConstraint(
                condition=~Q(status="completed")
                | Q(completed_at__isnull=False, redeemed_entry__isnull=False),
                name="completed_redemption_has_entry",
            ),
        ]
        indexes = [
            models.Index(fields=["dealer", "started_at"]),
            models.Index(fields=["vehicle", "started_at"]),
            models.Index(fields=["status", "started_at"]),
            # Nullable keys: a redemption writes entries only for the ones it has.
            index_of_set_values("advisor", name="redemption_advisor_set"),
            index_of_set_values("api_key", name="redemption_api_key_set"),
            index_of_set_values("reversed_by", name="redemption_reversed_by_set"),
        ]

    # Not stored: the services set it on the redemption they answer when the call was a replay (the same
    # idempotency key again, or the state already reached) and so changed nothing.
    replayed = False

    def __str__(self) -> str:
        return self.receipt_number

    @property
    def receipt_number(self) -> str:
        return f"R{self.pk:08d}" if self.pk else "R—"

    @classmethod
    def status_label_of(cls, status: str) -> str:
        """What `get_status_display()` writes, for a status read as a column: the label, or the
        stored value when it is not one of the choices (no database constraint limits it to them)."""
        language = get_language()
        labels = _STATUS_LABELS.get(language)
        if labels is None:
            # A page shows a label per line (the counter's history: up to 50); the choices and their
            # translations do not change while the process runs, so each language's are built once.
            labels = _STATUS_LABELS[language] = {value: str(label) for value, label in cls.Status.choices}
        return labels.get(status, status)


# Redemption.status_label_of's labels: language -> {status: label}
_STATUS_LABELS: dict[str | None, dict[str, str]] = {}


# Partner API keys, idempotency records and webhooks live in their own module.
from .partner_models import (  # noqa: E402
    ApiKey,
    ApiScope,
    IdempotencyRecord,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)

__all__ = [
    "ApiKey",
    "ApiScope",
    "IdempotencyRecord",
    "Redemption",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookEvent",
]
