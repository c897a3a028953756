"""Offers in messages: the offer a reminder carries (per rule) and follow-ups from past services.

Each offer is issued (or refused) once, by a unique constraint: a reminder occurrence is named by
its outbox de-duplication key, a follow-up by its rule and the past service it follows.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from members.models import Member
from vehicles.models import Vehicle, VehicleModel, Visit
from vouchers.models import Voucher, VoucherDefinition


class OfferMode(models.TextChoices):
    ISSUE = "issue", _("Issue a voucher to the owner or the car")
    CLAIM = "claim", _("Link to claim it in the portal's claim centre")


class OfferStatus(models.TextChoices):
    ISSUED = "issued", _("Issued")
    LINKED = "linked", _("Claim link sent")
    REFUSED = "refused", _("Refused")


class ReminderOffer(models.Model):
    """Which offer a kind of reminder carries; a rule for one vehicle model wins over a general one."""

    class Reminder(models.TextChoices):
        SERVICE = "service_reminder", _("Service reminder")
        EXPIRY = "expiry_reminder", _("Expiry reminder")
        INSPECTION = "inspection_reminder", _("Periodic inspection reminder")
        NEW_CAR_CARE = "new_car_care", _("New-car care messages")
        BIRTHDAY = "birthday", _("Birthday voucher")
        PURCHASE_ANNIVERSARY = "purchase_anniversary", _("Purchase-anniversary gift")
        WIN_BACK = "win_back", _("Win-back after no visit")

    name = models.CharField(_("name"), max_length=120)
    reminder = models.CharField(_("reminder"), max_length=30, choices=Reminder.choices)
    vehicle_model = models.ForeignKey(
        VehicleModel,
        verbose_name=_("vehicle model"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("empty: every model (expiry and birthday reminders name no car)"),
    )
    mode = models.CharField(_("offer"), max_length=10, choices=OfferMode.choices, default=OfferMode.ISSUE)
    definition = models.ForeignKey(
        VoucherDefinition, verbose_name=_("voucher definition"), on_delete=models.PROTECT, related_name="+"
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["reminder", "pk"]
        verbose_name = _("reminder offer")
        verbose_name_plural = _("reminder offers")

    def __str__(self) -> str:
        return self.name


class ReminderOfferGrant(models.Model):
    """The offer one reminder occurrence carried (or why it carried none): at most one per occurrence."""

    occurrence = models.CharField(
        _("reminder"), max_length=200, help_text=_("the reminder's de-duplication key")
    )
    rule = models.ForeignKey(
        ReminderOffer, verbose_name=_("reminder offer"), on_delete=models.CASCADE, related_name="grants"
    )
    definition = models.ForeignKey(
        VoucherDefinition, verbose_name=_("voucher definition"), on_delete=models.PROTECT, related_name="+"
    )
    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    vehicle = models.ForeignKey(
        Vehicle, verbose_name=_("vehicle"), on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    voucher = models.ForeignKey(
        Voucher, verbose_name=_("voucher"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(_("status"), max_length=10, choices=OfferStatus.choices)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("offer in a reminder")
        verbose_name_plural = _("offers in reminders")
        constraints = [models.UniqueConstraint(fields=["occurrence"], name="one_offer_per_reminder")]

    def __str__(self) -> str:
        return self.occurrence


class FollowUpRule(models.Model):
    """A past service of a kind → an offer after a delay in time and/or distance (whichever first)."""

    name = models.CharField(_("name"), max_length=120)
    is_active = models.BooleanField(_("active"), default=True)
    trigger_category = models.CharField(
        _("after a voucher of category"),
        max_length=20,
        choices=VoucherDefinition.Category.choices,
        blank=True,
    )
    trigger_definition = models.ForeignKey(
        VoucherDefinition,
        verbose_name=_("after a voucher of definition"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    trigger_visit_kind = models.CharField(
        _("after a workshop visit of kind"), max_length=12, choices=Visit.Kind.choices, blank=True
    )
    after_months = models.PositiveSmallIntegerField(_("after months"), default=0)
    after_days = models.PositiveSmallIntegerField(_("after days"), default=0)
    after_km = models.PositiveIntegerField(
        _("after kilometres"),
        null=True,
        blank=True,
        help_text=_("distance since the service, from the car's latest odometer reading"),
    )
    window_days = models.PositiveSmallIntegerField(
        _("send within (days)"),
        default=30,
        help_text=_(
            "a follow-up whose moment passed longer ago than this is not sent (so a new rule does "
            "not write to years of past services)"
        ),
    )
    mode = models.CharField(_("offer"), max_length=10, choices=OfferMode.choices, default=OfferMode.ISSUE)
    definition = models.ForeignKey(
        VoucherDefinition, verbose_name=_("voucher definition"), on_delete=models.PROTECT, related_name="+"
    )
    promotional = models.BooleanField(
        _("promotional"),
        default=True,
        help_text=_("needs marketing consent and counts toward the weekly cap"),
    )
    message_zh_hant = models.TextField(_("message (Chinese)"))
    message_en = models.TextField(_("message (English)"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("follow-up rule")
        verbose_name_plural = _("follow-up rules")
        constraints = [
            models.CheckConstraint(
                condition=~Q(trigger_category="", trigger_definition__isnull=True, trigger_visit_kind=""),
                name="followup_rule_has_trigger",
            ),
            models.CheckConstraint(
                condition=Q(after_months__gt=0) | Q(after_days__gt=0) | Q(after_km__gt=0),
                name="followup_rule_has_delay",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class FollowUp(models.Model):
    """One follow-up (or its refusal) of one past service under one rule: never a second."""

    class Source(models.TextChoices):
        REDEMPTION = "redemption", _("Voucher use")
        VISIT = "visit", _("Workshop visit")

    rule = models.ForeignKey(
        FollowUpRule, verbose_name=_("follow-up rule"), on_delete=models.CASCADE, related_name="follow_ups"
    )
    source_kind = models.CharField(_("past service"), max_length=12, choices=Source.choices)
    source_id = models.PositiveBigIntegerField(_("past service id"))
    serviced_on = models.DateField(_("serviced on"))
    vehicle = models.ForeignKey(
        Vehicle, verbose_name=_("vehicle"), on_delete=models.CASCADE, related_name="+"
    )
    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    status = models.CharField(_("status"), max_length=10, choices=OfferStatus.choices)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    voucher = models.ForeignKey(
        Voucher, verbose_name=_("voucher"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "source_kind", "source_id"], name="one_follow_up_per_rule_and_service"
            )
        ]

    def __str__(self) -> str:
        return f"{self.rule} · {self.get_source_kind_display()} {self.source_id}"
