"""Lifecycle programmes and the record of every event-triggered issuance."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from members.models import Member
from vehicles.models import Vehicle
from vouchers.models import VoucherDefinition


class Programme(models.Model):
    """A lifecycle programme `run_campaigns` carries out every night (seeded, edited by operations)."""

    class Key(models.TextChoices):
        NEW_CAR_CARE = "new_car_care", _("New-car care messages")
        BIRTHDAY = "birthday", _("Birthday voucher")
        PURCHASE_ANNIVERSARY = "purchase_anniversary", _("Purchase-anniversary gift")
        WIN_BACK = "win_back", _("Win-back after no visit")

    key = models.CharField(_("programme"), max_length=30, choices=Key.choices, unique=True)
    is_active = models.BooleanField(_("active"), default=True)
    send_message = models.BooleanField(_("send a message"), default=True)
    issue_vouchers = models.BooleanField(
        _("issue vouchers"),
        default=True,
        help_text=_("issues every published definition whose event matches this programme"),
    )
    days = models.CharField(
        _("days"),
        max_length=40,
        blank=True,
        help_text=_("new-car care: days after delivery, e.g. 30,60,90; win-back: days without a visit"),
    )
    promotional = models.BooleanField(
        _("promotional"),
        default=True,
        help_text=_("needs marketing consent and counts toward the weekly cap"),
    )

    class Meta:
        ordering = ["key"]
        verbose_name = _("lifecycle programme")
        verbose_name_plural = _("lifecycle programmes")

    def __str__(self) -> str:
        return self.get_key_display()

    @property
    def days_list(self) -> list[int]:
        return sorted({int(p) for p in self.days.replace(" ", "").split(",") if p.isdigit()})


class EventIssuance(models.Model):
    """One event-triggered grant (or its refusal), unique per definition, event and holder or period."""

    class Status(models.TextChoices):
        ISSUED = "issued", _("Issued")
        REFUSED = "refused", _("Refused")

    key = models.CharField(_("de-duplication key"), max_length=200, unique=True)
    definition = models.ForeignKey(
        VoucherDefinition, verbose_name=_("definition"), on_delete=models.CASCADE, related_name="+"
    )
    event = models.CharField(_("event"), max_length=30, choices=VoucherDefinition.TriggerEvent.choices)
    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    vehicle = models.ForeignKey(
        Vehicle, verbose_name=_("vehicle"), on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    vouchers_issued = models.PositiveSmallIntegerField(_("vouchers issued"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("event issuance")
        verbose_name_plural = _("event issuances")

    def __str__(self) -> str:
        return self.key
