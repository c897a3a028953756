"""Campaigns operations run against a saved segment: a message, vouchers, or both."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from members.models import Channel, Member
from vehicles.models import Vehicle
from vouchers.models import Voucher, VoucherDefinition


class Campaign(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SCHEDULED = "scheduled", _("Scheduled")
        RUNNING = "running", _("Running")
        PAUSED = "paused", _("Paused")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")

    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    segment = models.ForeignKey(
        "campaigns.Segment", on_delete=models.PROTECT, related_name="campaigns", verbose_name=_("audience")
    )
    send_message = models.BooleanField(_("send a message"), default=True)
    message_zh_hant = models.TextField(
        _("message (繁體中文)"), blank=True, help_text=_("Django template language, e.g. {{ name }}")
    )
    message_en = models.TextField(_("message (English)"), blank=True)
    subject_zh_hant = models.CharField(_("e-mail subject (繁體中文)"), max_length=200, blank=True)
    subject_en = models.CharField(_("e-mail subject (English)"), max_length=200, blank=True)
    channel = models.CharField(
        _("channel"),
        max_length=10,
        choices=Channel.choices,
        blank=True,
        help_text=_("empty: each owner's preferred channel"),
    )
    definition = models.ForeignKey(
        VoucherDefinition,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="campaigns",
        verbose_name=_("voucher to issue"),
    )
    max_recipients = models.PositiveIntegerField(
        _("at most this many vehicles"), null=True, blank=True, help_text=_("empty: the whole audience")
    )
    budget_twd = models.PositiveIntegerField(
        _("budget (NT$ face value)"), null=True, blank=True, help_text=_("empty: no budget limit")
    )
    audience_size = models.PositiveIntegerField(
        _("audience (vehicles)"), null=True, blank=True, editable=False, help_text=_("frozen when it starts")
    )
    spent_twd = models.PositiveIntegerField(_("spent (NT$ face value)"), default=0, editable=False)
    scheduled_at = models.DateTimeField(_("send at"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        constraints = [
            models.CheckConstraint(
                condition=Q(budget_twd__isnull=True) | Q(spent_twd__lte=models.F("budget_twd")),
                name="campaign_within_budget",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CampaignRecipient(models.Model):
    """One vehicle of the audience, frozen when the campaign starts, and what was done for it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DONE = "done", _("Done")
        SKIPPED = "skipped", _("Skipped")

    # No index of its own: the unique (campaign, vehicle) index serves look-ups by campaign, and
    # every index costs each of a large campaign's rows on insert and again when it is served.
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="recipients", db_index=False
    )
    vehicle = models.ForeignKey(Vehicle, on_delete=models.CASCADE, related_name="+")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    reason = models.CharField(max_length=200, blank=True)
    notification = models.ForeignKey(
        "campaigns.Notification", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["campaign_id", "pk"]
        verbose_name = _("campaign recipient")
        verbose_name_plural = _("campaign recipients")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "vehicle"], name="campaign_recipient_once"),
        ]
        indexes = [
            # The next batch to serve, in order; a served recipient leaves this index.
            models.Index(
                fields=["campaign", "id"], condition=Q(status="pending"), name="campaign_recipient_pending"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign} → {self.vehicle}"


class CampaignVoucher(models.Model):
    """A voucher a campaign issued, to count what came of it."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="issued")
    # Indexed by the unique (recipient, series_index) constraint below.
    recipient = models.ForeignKey(
        CampaignRecipient, on_delete=models.CASCADE, related_name="vouchers", db_index=False
    )
    voucher = models.OneToOneField(Voucher, on_delete=models.CASCADE, related_name="+")
    # The voucher's place in its series: with the constraint below, a recipient can be issued one
    # series only, whatever a re-run after a crash or two workers at once may try.
    series_index = models.PositiveSmallIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = _("campaign voucher")
        verbose_name_plural = _("campaign vouchers")
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "series_index"], name="campaign_voucher_one_series_per_recipient"
            ),
        ]

    def __str__(self) -> str:
        return str(self.voucher_id)
