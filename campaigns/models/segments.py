from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from members.models import Dealer, Tier
from vehicles.models import VehicleModel
from vouchers.models import VoucherDefinition


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
