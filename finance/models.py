"""Finance's records: breakage rates Finance sets, daily money facts per category (a projection of
the voucher ledger, rebuilt from it at any time) and dealer settlement statements with their lines."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.models import Dealer
from vouchers.models import LedgerEntry, Order, Voucher, VoucherDefinition

Category = VoucherDefinition.Category


class BreakageRate(models.Model):
    """The share of a category's sold value Finance expects never to be used (IFRS 15 B46), from a
    date on. With no rate in force the category's history gives one (`finance.breakage`)."""

    category = models.CharField(_("service category"), max_length=20, choices=Category.choices)
    effective_from = models.DateField(_("effective from"))
    rate_bp = models.PositiveIntegerField(
        _("expected breakage (basis points)"), help_text=_("1 basis point is 0.01 %; 1250 means 12.5 %.")
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("set by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    set_at = models.DateTimeField(_("set"), default=timezone.now)

    class Meta:
        ordering = ["category", "-effective_from"]
        verbose_name = _("expected breakage rate")
        verbose_name_plural = _("expected breakage rates")
        constraints = [
            models.UniqueConstraint(fields=["category", "effective_from"], name="breakage_rate_once_per_day"),
            # Below 100 %: the rate divides by (1 − rate) when breakage follows redemptions.
            models.CheckConstraint(condition=Q(rate_bp__lt=10000), name="breakage_rate_below_one"),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()} {self.rate_bp / 100:.2f}%"


class MoneyFact(models.Model):
    """One day's money movements of paid vouchers in one category (Asia/Taipei days), in NT$.

    `recognised` of a report is used + (released − refunded): a refund that pays back less than the
    value it releases keeps the difference as revenue. All columns are sums of `finance.money`'s
    per-entry figures, so the facts can be rebuilt from the ledger at any time."""

    day = models.DateField(_("day"))
    category = models.CharField(_("service category"), max_length=20, choices=Category.choices)
    sales_twd = models.BigIntegerField(_("sales"), default=0)
    used_twd = models.BigIntegerField(_("value of uses"), default=0)
    uses = models.IntegerField(_("uses"), default=0)
    released_twd = models.BigIntegerField(_("released by refunds"), default=0)
    refunded_twd = models.BigIntegerField(_("refunded"), default=0)
    written_off_twd = models.BigIntegerField(_("expired or voided value"), default=0)
    open_uses = models.IntegerField(_("change in uses left"), default=0)

    class Meta:
        ordering = ["day", "category"]
        verbose_name = _("daily money fact")
        verbose_name_plural = _("daily money facts")
        constraints = [models.UniqueConstraint(fields=["day", "category"], name="money_fact_day_category")]

    def __str__(self) -> str:
        return f"{self.day} {self.category}"


class FactsState(models.Model):
    """How far the facts have read the ledger: entries with a larger id are added by the next refresh
    (reports add them live until then)."""

    name = models.CharField(max_length=20, unique=True)
    last_ledger_id = models.BigIntegerField(default=0)
    refreshed_at = models.DateTimeField(null=True, blank=True)
    rebuilt_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name


class SettlementStatement(models.Model):
    """What the brand and one dealer owe each other for one month: draft → approved → exported.

    Once approved it never changes: the service refuses, and a database trigger refuses any write
    to an approved statement or its lines (migration 0002), whatever code tries."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        APPROVED = "approved", _("Approved")
        EXPORTED = "exported", _("Exported")

    dealer = models.ForeignKey(
        Dealer, verbose_name=_("dealer"), on_delete=models.PROTECT, related_name="settlement_statements"
    )
    month = models.DateField(_("month"), help_text=_("The first day of the month settled."))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    number = models.CharField(_("statement number"), max_length=40, null=True, blank=True, unique=True)
    total_twd = models.BigIntegerField(
        _("balance (NT$)"), default=0, help_text=_("Positive: the brand pays the dealer.")
    )
    owed_to_dealer_twd = models.BigIntegerField(_("owed to the dealer (NT$)"), default=0)
    owed_by_dealer_twd = models.BigIntegerField(_("owed by the dealer (NT$)"), default=0)
    drafted_at = models.DateTimeField(_("drafted"), default=timezone.now)
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    exported_at = models.DateTimeField(_("exported"), null=True, blank=True)

    class Meta:
        ordering = ["-month", "dealer__code"]
        verbose_name = _("settlement statement")
        verbose_name_plural = _("settlement statements")
        constraints = [
            models.UniqueConstraint(fields=["dealer", "month"], name="statement_once_per_dealer_month"),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "approved", "exported"]), name="statement_status_known"
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(number__isnull=False, approved_at__isnull=False),
                name="statement_approved_is_numbered",
            ),
            models.CheckConstraint(
                condition=Q(total_twd=F("owed_to_dealer_twd") - F("owed_by_dealer_twd")),
                name="statement_total_is_balance",
            ),
        ]

    def __str__(self) -> str:
        return self.number or f"{self.dealer.code} {self.month:%Y-%m} ({self.get_status_display()})"

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT


class SettlementLine(models.Model):
    """One item of a statement. `source_key` names what it settles (a ledger entry, an order) and is
    unique: everything is settled exactly once, and what a statement missed lands in a later one."""

    class Kind(models.TextChoices):
        REDEMPTION = "redemption", _("Redemption")
        REVERSAL = "reversal", _("Reversal")
        COUNTER_SALE = "counter_sale", _("Counter sale")

    class Funding(models.TextChoices):
        COMPLIMENTARY = "complimentary", _("Complimentary")
        PROGRAMME = "programme", _("Programme")
        SOLD_ONLINE = "sold_online", _("Sold online")
        SOLD_AT_COUNTER = "sold_at_counter", _("Sold at the counter")
        DEALER = "dealer", _("Dealer's own")

    statement = models.ForeignKey(
        SettlementStatement, verbose_name=_("statement"), on_delete=models.CASCADE, related_name="lines"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    source_key = models.CharField(_("settles"), max_length=40, unique=True)
    ledger_entry = models.ForeignKey(
        LedgerEntry,
        verbose_name=_("ledger entry"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    order = models.ForeignKey(
        Order, verbose_name=_("order"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    voucher = models.ForeignKey(
        Voucher, verbose_name=_("voucher"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    definition = models.ForeignKey(
        VoucherDefinition,
        verbose_name=_("definition"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    funding = models.CharField(_("funded as"), max_length=20, choices=Funding.choices)
    occurred_at = models.DateTimeField(_("occurred"))
    adjustment = models.BooleanField(
        _("adjustment"), default=False, help_text=_("Occurred in an earlier month than the statement's.")
    )
    quantity = models.SmallIntegerField(_("quantity"))
    unit_price_twd = models.PositiveIntegerField(_("unit price (NT$)"))
    amount_twd = models.BigIntegerField(
        _("amount (NT$)"), help_text=_("Positive: the brand pays the dealer.")
    )

    class Meta:
        ordering = ["statement_id", "occurred_at", "pk"]
        verbose_name = _("settlement line")
        verbose_name_plural = _("settlement lines")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="counter_sale", amount_twd=-F("unit_price_twd") * F("quantity"))
                | (~Q(kind="counter_sale") & Q(amount_twd=F("unit_price_twd") * F("quantity"))),
                name="settlement_line_amount",
            ),
        ]
        indexes = [models.Index(fields=["statement", "kind"], name="settlement_line_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount_twd:+d}"


class SettlementPrice(VoucherDefinition):
    """Finance's view of the definitions: only the settlement price, which Finance sets."""

    class Meta:
        proxy = True
        verbose_name = _("settlement price")
        verbose_name_plural = _("settlement prices")
        permissions = [("view_money_reports", _("Can view the money reports"))]
