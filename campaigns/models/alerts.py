"""Telematics alerts' vouchers: which definition an alert of a kind (and at least a severity) brings,
and each grant, once per alert and rule."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from vehicles.models import VehicleAlert
from vouchers.models import VoucherDefinition

Severity = VehicleAlert.Severity
# Lowest first: a rule for "warning" also applies to critical alerts.
SEVERITY_ORDER = tuple(Severity.values)


class AlertVoucherRule(models.Model):
    """Operations' rule: an alert of this kind, at least this severe, issues this definition to the car."""

    kind = models.CharField(_("alert kind"), max_length=20, choices=VehicleAlert.Kind.choices)
    min_severity = models.CharField(
        _("from severity"), max_length=10, choices=Severity.choices, default=Severity.WARNING
    )
    definition = models.ForeignKey(
        VoucherDefinition,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("voucher to issue"),
        limit_choices_to={"channel_manual": True},
        help_text=_("A published definition that the back office may issue."),
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["kind", "min_severity", "pk"]
        verbose_name = _("alert voucher rule")
        verbose_name_plural = _("alert voucher rules")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "definition"], condition=Q(active=True), name="alert_rule_one_active_per_kind"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ≥ {self.get_min_severity_display()} → {self.definition}"

    def applies_to(self, severity: str) -> bool:
        return SEVERITY_ORDER.index(severity) >= SEVERITY_ORDER.index(self.min_severity)


class AlertVoucherGrant(models.Model):
    """One rule applied to one alert: the vouchers issued, or why none were."""

    class Status(models.TextChoices):
        ISSUED = "issued", _("Issued")
        REFUSED = "refused", _("Refused")

    alert = models.ForeignKey(
        VehicleAlert, on_delete=models.CASCADE, related_name="+", verbose_name=_("vehicle alert")
    )
    rule = models.ForeignKey(
        AlertVoucherRule, on_delete=models.PROTECT, related_name="grants", verbose_name=_("rule")
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    vouchers_issued = models.PositiveSmallIntegerField(_("vouchers issued"), default=0)
    created_at = models.DateTimeField(_("created"), db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("alert voucher")
        verbose_name_plural = _("alert vouchers")
        constraints = [models.UniqueConstraint(fields=["alert", "rule"], name="alert_grant_once_per_rule")]

    def __str__(self) -> str:
        return f"{self.alert_id} / {self.rule_id}"
