"""Summary (fact) tables the reports read, rebuilt from the ledger and the records around it.

Every table is a projection: `rebuild_report_facts` empties and refills them from the source tables,
and the nightly job (`reports.tasks.refresh_report_facts`) recomputes the recent periods and the rows
whose sources changed. Reports never read the ledger, the vouchers or the visits themselves.
Days and months are Asia/Taipei; a month is stored as its first day.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from members.models import Dealer
from vehicles.models import Vehicle, VehicleModel
from vouchers.models import Bundle, Order, VoucherDefinition


class FactRefresh(models.Model):
    """One run of the refresh or rebuild: when, what it covered, how long it took."""

    class Kind(models.TextChoices):
        REBUILD = "rebuild", _("Rebuild from the ledger")
        REFRESH = "refresh", _("Nightly refresh")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    since = models.DateField(_("recomputed from"), null=True, blank=True)
    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # The last ledger entry when the run started: the next refresh recomputes the orders whose vouchers
    # have entries after it (ids, not times: an entry may carry an earlier time than its insertion).
    ledger_mark = models.BigIntegerField(default=0)
    actor_label = models.CharField(_("by"), max_length=80, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        default_permissions = ()
        permissions = [("view_reports", _("Can read the reports"))]
        verbose_name = _("report facts refresh")
        verbose_name_plural = _("report facts refreshes")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.started_at:%Y-%m-%d %H:%M}"


class ServiceDay(models.Model):
    """A vehicle was served on a day (a workshop visit or a completed redemption): the base of the
    customer KPIs. One row per vehicle and day, whatever the number of visits that day."""

    vehicle = models.ForeignKey(Vehicle, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    day = models.DateField()
    visits = models.PositiveIntegerField(default=0)
    redemptions = models.PositiveIntegerField(default=0)

    class Meta:
        default_permissions = ()
        constraints = [models.UniqueConstraint(fields=["vehicle", "day"], name="service_day_once")]
        indexes = [models.Index(fields=["day", "vehicle"], name="service_day_day")]

    def __str__(self) -> str:
        return f"{self.vehicle_id} {self.day}"


class DemandFact(models.Model):
    """Report 1: completed (not reversed) redemptions and distinct vehicles per month, dealer, category
    and vehicle model. Distinct vehicles add up over models (a vehicle has one model)."""

    month = models.DateField()
    dealer = models.ForeignKey(Dealer, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    category = models.CharField(max_length=20)
    model = models.ForeignKey(VehicleModel, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    redemptions = models.PositiveIntegerField(default=0)
    vehicles = models.PositiveIntegerField(default=0)

    class Meta:
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(fields=["month", "dealer", "category", "model"], name="demand_fact_key")
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.dealer_id} {self.category}"


class OrderFact(models.Model):
    """Report 2: one row per paid order of a pack or paid voucher, with what became of its vouchers."""

    order = models.OneToOneField(
        Order, on_delete=models.CASCADE, primary_key=True, related_name="+", db_constraint=False
    )
    paid_on = models.DateField(db_index=True)
    bundle = models.ForeignKey(
        Bundle, on_delete=models.CASCADE, null=True, related_name="+", db_constraint=False
    )
    definition = models.ForeignKey(
        VoucherDefinition, on_delete=models.CASCADE, null=True, related_name="+", db_constraint=False
    )
    category = models.CharField(max_length=20, blank=True)  # a single paid voucher's; "" for a pack
    channel = models.CharField(max_length=10)
    # The selling dealer (counter), else the vehicle's selling dealer; NULL for an online sale without one.
    dealer = models.ForeignKey(
        Dealer, on_delete=models.CASCADE, null=True, related_name="+", db_constraint=False
    )
    model = models.ForeignKey(
        VehicleModel, on_delete=models.CASCADE, null=True, related_name="+", db_constraint=False
    )
    member_id = models.BigIntegerField()
    quantity = models.PositiveIntegerField()
    amount_twd = models.PositiveIntegerField()
    uses_total = models.PositiveIntegerField(default=0)
    uses_consumed = models.PositiveIntegerField(default=0)
    uses_left = models.PositiveIntegerField(default=0)  # in vouchers still open
    first_use_on = models.DateField(null=True)
    days_to_first_use = models.PositiveIntegerField(null=True)
    repeat = models.BooleanField(default=False)  # the member had bought the same product before

    class Meta:
        default_permissions = ()
        indexes = [models.Index(fields=["paid_on", "dealer"], name="order_fact_paid_dealer")]

    def __str__(self) -> str:
        return f"order {self.order_id}"


class IssueFact(models.Model):
    """Report 3: campaign and programme vouchers per issue day, with how far they got."""

    issued_on = models.DateField()
    source = models.CharField(max_length=40)  # "campaign" or a programme key
    campaign_id = models.BigIntegerField(null=True)
    definition = models.ForeignKey(
        VoucherDefinition, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    dealer = models.ForeignKey(
        Dealer, on_delete=models.CASCADE, null=True, related_name="+", db_constraint=False
    )
    issued = models.PositiveIntegerField(default=0)
    activated = models.PositiveIntegerField(default=0)
    redeemed = models.PositiveIntegerField(default=0)
    redeemed_30 = models.PositiveIntegerField(default=0)
    redeemed_60 = models.PositiveIntegerField(default=0)
    redeemed_90 = models.PositiveIntegerField(default=0)

    class Meta:
        default_permissions = ()
        indexes = [models.Index(fields=["issued_on"], name="issue_fact_day")]

    def __str__(self) -> str:
        return f"{self.issued_on} {self.source}"


class MessageFact(models.Model):
    """Report 3: messages sent per day for each campaign and lifecycle programme (network-wide)."""

    sent_on = models.DateField()
    source = models.CharField(max_length=40)
    campaign_id = models.BigIntegerField(null=True)
    sent = models.PositiveIntegerField(default=0)

    class Meta:
        default_permissions = ()
        indexes = [models.Index(fields=["sent_on"], name="message_fact_day")]

    def __str__(self) -> str:
        return f"{self.sent_on} {self.source}"


class CareFact(models.Model):
    """Report 3: vehicles delivered per month, with or without new-car care messages, and how many had
    a first service within REPORTS_FIRST_SERVICE_DAYS of delivery."""

    month = models.DateField()
    dealer = models.ForeignKey(
        Dealer, on_delete=models.CASCADE, null=True, related_name="+", db_constraint=False
    )
    cared = models.BooleanField()
    vehicles = models.PositiveIntegerField(default=0)
    first_serviced = models.PositiveIntegerField(default=0)

    class Meta:
        default_permissions = ()
        indexes = [models.Index(fields=["month"], name="care_fact_month")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.dealer_id}"


class CustomerMonthFact(models.Model):
    """Report 4: customer KPIs per month and home dealer (the vehicle's selling dealer)."""

    month = models.DateField()
    dealer = models.ForeignKey(
        Dealer, on_delete=models.CASCADE, null=True, related_name="+", db_constraint=False
    )
    vehicles = models.PositiveIntegerField(default=0)  # delivered (or recorded) by the month's end
    visits_12m = models.PositiveIntegerField(default=0)
    redemptions_12m = models.PositiveIntegerField(default=0)
    service_days_12m = models.PositiveIntegerField(default=0)
    active_12m = models.PositiveIntegerField(default=0)  # vehicles served in the 12 months to month end
    buyers_12m = models.PositiveIntegerField(default=0)
    repeat_buyers_12m = models.PositiveIntegerField(default=0)
    delivered = models.PositiveIntegerField(default=0)
    first_serviced = models.PositiveIntegerField(default=0)
    winback_targets = models.PositiveIntegerField(default=0)
    winback_recovered = models.PositiveIntegerField(default=0)

    class Meta:
        default_permissions = ()
        indexes = [models.Index(fields=["month", "dealer"], name="customer_fact_month")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.dealer_id}"
