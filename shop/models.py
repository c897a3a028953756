"""The shop's records around an order (`vouchers.Order`): payments, every notification received,
the order's timeline, its e-invoice, and the texts the law asks a seller of prepaid vouchers to show."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vouchers.models import Order, RefundRequest

from .invoicing.carriers import CarrierKind


class ShopNotice(models.Model):
    """What a seller of prepaid vouchers in Taiwan must tell the buyer; set by Operations (one row)."""

    issuer_name = models.CharField(_("issuer's name"), max_length=120)
    issuer_address = models.CharField(_("issuer's address"), max_length=200)
    issuer_tax_id = models.CharField(_("issuer's tax ID (統一編號)"), max_length=8)
    guarantee = models.TextField(
        _("performance guarantee (履約保證)"),
        help_text=_("The bank trust or guarantee behind the prepaid vouchers, as the buyer must be told."),
    )
    no_expiry = models.TextField(
        _("no-expiry notice"),
        help_text=_("That paid vouchers carry no expiry date, in the words shown to buyers."),
    )
    other = models.TextField(_("other notices"), blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("shop notice")
        verbose_name_plural = _("shop notices")
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="shop_notice_single_row")]

    def __str__(self) -> str:
        return str(self.issuer_name)


class Payment(models.Model):
    """Money received for an order, once per provider trade number."""

    class Method(models.TextChoices):
        CREDIT = "credit", _("Credit card")
        ATM = "atm", _("ATM transfer")
        CVS = "cvs", _("Convenience-store code")
        CASH = "cash", _("Cash")
        CARD_TERMINAL = "card_terminal", _("Card terminal")
        TRANSFER = "transfer", _("Bank transfer")

    order = models.ForeignKey(
        Order, on_delete=models.PROTECT, related_name="payments", verbose_name=_("order")
    )
    provider = models.CharField(_("provider"), max_length=20)
    trade_no = models.CharField(_("provider's trade number"), max_length=40)
    method = models.CharField(_("method"), max_length=20, choices=Method.choices)
    amount_twd = models.PositiveIntegerField(_("amount (NT$)"))
    paid_at = models.DateTimeField(_("paid"))
    created_at = models.DateTimeField(_("recorded"), default=timezone.now)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            models.UniqueConstraint(fields=["provider", "trade_no"], name="payment_once_per_trade"),
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.trade_no}"


class PaymentNotification(models.Model):
    """Every payment notification or query answer received, kept as it came, with what it did."""

    class Outcome(models.TextChoices):
        APPLIED = "applied", _("Applied: order paid")
        DUPLICATE = "duplicate", _("Duplicate: already applied")
        NOT_PAID = "not_paid", _("Payment not completed")
        FLAGGED = "flagged", _("Money for an order that is no longer open: flagged for Finance")
        REJECTED = "rejected", _("Rejected")

    class Source(models.TextChoices):
        NOTIFY = "notify", _("Server notification")
        QUERY = "query", _("Trade query")

    received_at = models.DateTimeField(_("received"), default=timezone.now, db_index=True)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    merchant_trade_no = models.CharField(_("order number"), max_length=40, blank=True, db_index=True)
    order = models.ForeignKey(
        Order,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("order"),
    )
    payload = models.JSONField(_("payload"), default=dict)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    remote_addr = models.GenericIPAddressField(_("from address"), null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("payment notification")
        verbose_name_plural = _("payment notifications")

    def __str__(self) -> str:
        return f"{self.merchant_trade_no} {self.outcome}"


class OrderEvent(models.Model):
    """One line of an order's timeline: created, notification received, paid, issued, invoiced…"""

    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        NOTIFIED = "notified", _("Notification received")
        PAID = "paid", _("Paid")
        ISSUED = "issued", _("Vouchers issued")
        EXPIRED = "expired", _("Expired unpaid")
        CANCELLED = "cancelled", _("Cancelled")
        FLAGGED = "flagged", _("Flagged for Finance")
        SETTLED_BY_HAND = "settled", _("Settled by hand")
        INVOICED = "invoiced", _("E-invoice issued")
        INVOICE_FAILED = "invoice_failed", _("E-invoice failed")
        REFUND_REQUESTED = "refund_requested", _("Refund requested")
        REFUNDED = "refunded", _("Refunded")
        REFUND_REJECTED = "refund_rejected", _("Refund rejected")
        INVOICE_VOIDED = "invoice_voided", _("E-invoice voided")
        INVOICE_ALLOWANCE = "invoice_allowance", _("E-invoice allowance issued")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events", verbose_name=_("order"))
    kind = models.CharField(_("what"), max_length=20, choices=Kind.choices)
    at = models.DateTimeField(_("when"), default=timezone.now)
    actor_label = models.CharField(_("who"), max_length=80, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("order event")
        verbose_name_plural = _("order events")

    def __str__(self) -> str:
        return f"{self.order} {self.kind}"


class FakeGatewayTrade(models.Model):
    """The local stand-in for ECPay (ECPAY_MODE=fake) keeps its trades here, as ECPay keeps its own:
    what the merchant sent, whether the buyer paid, and where to post the notifications."""

    merchant_trade_no = models.CharField(max_length=20, unique=True)
    trade_no = models.CharField(max_length=20, unique=True)
    fields = models.JSONField(default=dict)
    paid_at = models.DateTimeField(null=True, blank=True)
    payment_type = models.CharField(max_length=30, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("fake gateway trade")
        verbose_name_plural = _("fake gateway trades")

    def __str__(self) -> str:
        return self.merchant_trade_no


class Invoice(models.Model):
    """An order's B2C e-invoice: where the buyer wants it (chosen when ordering), then what ECPay issued.
    The order number is the RelateNumber, so ECPay itself refuses a second invoice for one order."""

    class Status(models.TextChoices):
        PENDING = "pending", _("To be issued")
        ISSUED = "issued", _("Issued")
        FAILED = "failed", _("Failed (retried)")
        VOIDED = "voided", _("Voided")
        ALLOWANCE = "allowance", _("Allowance issued")

    order = models.OneToOneField(
        Order, on_delete=models.PROTECT, related_name="invoice", verbose_name=_("order")
    )
    carrier_kind = models.CharField(
        _("invoice goes to"), max_length=12, choices=CarrierKind.choices, default=CarrierKind.CLOUD
    )
    carrier = models.CharField(_("carrier number"), max_length=16, blank=True)
    donation_code = models.CharField(_("donation code"), max_length=7, blank=True)
    tax_id = models.CharField(_("tax ID (統一編號)"), max_length=8, blank=True)
    title = models.CharField(_("company title"), max_length=60, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    number = models.CharField(_("invoice number"), max_length=10, null=True, blank=True, unique=True)
    issued_at = models.DateTimeField(_("invoice date"), null=True, blank=True)
    random_number = models.CharField(_("random number"), max_length=4, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=200, blank=True)
    voided_at = models.DateTimeField(_("voided"), null=True, blank=True)
    # Allowances (折讓) issued against it: [{"number", "amount_twd", "at"}], and their total.
    allowances = models.JSONField(_("allowances"), default=list, blank=True)
    allowance_total_twd = models.PositiveIntegerField(_("allowances (NT$)"), default=0)

    class Meta:
        verbose_name = _("e-invoice")
        verbose_name_plural = _("e-invoices")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["pending", "failed"])
                | Q(number__isnull=False, issued_at__isnull=False),
                name="invoice_issued_has_number",
            ),
            models.CheckConstraint(
                condition=~Q(carrier_kind="donation") | ~Q(donation_code=""), name="invoice_donation_has_code"
            ),
            models.CheckConstraint(
                condition=~Q(carrier_kind="company") | (~Q(tax_id="") & ~Q(title="")),
                name="invoice_company_has_tax_id_and_title",
            ),
            models.CheckConstraint(
                condition=~Q(carrier_kind__in=["mobile", "certificate"]) | ~Q(carrier=""),
                name="invoice_carrier_has_number",
            ),
        ]

    def __str__(self) -> str:
        return self.number or f"{self.order} ({self.get_status_display()})"


class FakeInvoice(models.Model):
    """The local stand-in for ECPay's e-invoice service (ECPAY_INVOICE_MODE=fake) keeps what it issued,
    as ECPay does, so that a RelateNumber seen before is refused and can be looked up."""

    relate_number = models.CharField(max_length=50, unique=True)
    number = models.CharField(max_length=10, unique=True)
    random_number = models.CharField(max_length=4)
    data = models.JSONField(default=dict)
    amount_twd = models.PositiveIntegerField()
    allowed_twd = models.PositiveIntegerField(default=0)
    voided = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("fake e-invoice")
        verbose_name_plural = _("fake e-invoices")

    def __str__(self) -> str:
        return self.number


class OrderRefund(models.Model):
    """An owner's request to refund what is left of an order, and Finance's decision. Each voucher in it
    has its own `vouchers.RefundRequest` (locked until the decision); this row keeps the money: the
    vouchers' value, the fee, what was paid back, how, and what became of the e-invoice."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Waiting for Finance")
        APPROVED = "approved", _("Refunded")
        REJECTED = "rejected", _("Rejected")

    class Method(models.TextChoices):
        ECPAY = "ecpay", _("Credit card refund through ECPay")
        TRANSFER = "transfer", _("Bank transfer by hand")

    class InvoiceAction(models.TextChoices):
        NONE = "", _("None")
        VOID = "void", _("Voided")
        ALLOWANCE = "allowance", _("Allowance")

    order = models.ForeignKey(
        Order, on_delete=models.PROTECT, related_name="refunds", verbose_name=_("order")
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.REQUESTED)
    voucher_requests = models.ManyToManyField(
        RefundRequest, related_name="order_refunds", verbose_name=_("vouchers")
    )
    value_twd = models.PositiveIntegerField(_("value of the vouchers (NT$)"))
    fee_twd = models.PositiveIntegerField(_("refund fee (NT$)"), default=0)
    amount_twd = models.PositiveIntegerField(_("refund (NT$)"))
    partly_used = models.BooleanField(_("partly used"), default=False)
    reason = models.CharField(_("owner's reason"), max_length=300, blank=True)
    requested_at = models.DateTimeField(_("requested"), default=timezone.now)
    method = models.CharField(_("method"), max_length=10, choices=Method.choices, blank=True)
    reference = models.CharField(_("refund reference"), max_length=40, blank=True)
    invoice_action = models.CharField(
        _("e-invoice"), max_length=10, choices=InvoiceAction.choices, blank=True, default=""
    )
    allowance_number = models.CharField(_("allowance number"), max_length=20, blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decision_reason = models.CharField(_("decision reason"), max_length=300, blank=True)

    class Meta:
        ordering = ["-requested_at"]
        verbose_name = _("order refund")
        verbose_name_plural = _("order refunds")
        constraints = [
            models.UniqueConstraint(
                fields=["order"], condition=Q(status="requested"), name="one_open_refund_per_order"
            ),
            models.CheckConstraint(
                condition=Q(amount_twd__lte=models.F("value_twd")), name="order_refund_within_value"
            ),
            models.CheckConstraint(
                condition=~Q(status="approved") | ~Q(method=""), name="order_refund_approved_has_method"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order} {self.amount_twd}"
