from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.fields.json import KeyTextTransform
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.field_indexes import index_of_set_values
from members.models import Dealer, Member, Tier
from vehicles.models import Vehicle, VehicleModel

from .codes import code_format

HAS_OWNED_NEEDS_MEMBER = _(
    "Only a voucher held by a member can require that the member has owned one of our cars: "
    "choose the member holder type."
)


class VoucherDefinition(models.Model):
    """A voucher type: what it grants, to whom, for how long, how it is issued, and how it looks."""

    class Kind(models.TextChoices):
        PAID = "paid", _("Paid (sold to owners)")
        COMPLIMENTARY = "complimentary", _("Complimentary (free with a purchase)")
        PROMOTIONAL = "promotional", _("Promotional")

    class Category(models.TextChoices):
        WASH = "wash", _("Car wash")
        DETAILING = "detailing", _("Detailing")
        COATING = "coating", _("Ceramic coating")
        INTERIOR = "interior", _("Interior care")
        TYRE = "tyre", _("Tyre service")
        MAINTENANCE = "maintenance", _("Maintenance")
        OTHER = "other", _("Other")

    class HolderType(models.TextChoices):
        VEHICLE = "vehicle", _("Vehicle (stays with the car)")
        MEMBER = "member", _("Member (usable with any of their cars)")
        MEMBER_VEHICLE = "member_vehicle", _("Member and vehicle (first-owner benefit)")
        ORDER = "order", _("Order")

    class ValidityPolicy(models.TextChoices):
        FIXED = "fixed", _("Fixed dates")
        DAYS_FROM_ISSUE = "days_from_issue", _("N days from issue")
        DAYS_FROM_ACTIVATION = "days_from_activation", _("N days from activation")
        DELIVERY_WINDOW = "delivery_window", _("Window after the vehicle's delivery date")
        NO_EXPIRY = "no_expiry", _("No expiry")

    class ActivationMode(models.TextChoices):
        AUTOMATIC = "automatic", _("Automatic on issue")
        HOLDER = "holder", _("By the holder")
        PARTNER = "partner", _("By a partner system")
        OPERATIONS = "operations", _("By operations")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        PAUSED = "paused", _("Paused")
        ARCHIVED = "archived", _("Archived")

    class TriggerEvent(models.TextChoices):
        NONE = "", _("None")
        VEHICLE_BOUND = "vehicle_bound", _("Vehicle bound to a member")
        VEHICLE_DELIVERED = "vehicle_delivered", _("Vehicle delivered")
        BIRTHDAY = "birthday", _("Birthday")
        PURCHASE_ANNIVERSARY = "purchase_anniversary", _("Purchase anniversary")
        NO_VISIT = "no_visit", _("No visit for six months")

    class TriggerOncePer(models.TextChoices):
        VEHICLE = "vehicle", _("Once per vehicle")
        MEMBER = "member", _("Once per member")

    # Step 1: basic information
    name = models.CharField(_("name"), max_length=120)
    code = models.SlugField(_("internal code"), max_length=40, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.COMPLIMENTARY)
    category = models.CharField(_("service category"), max_length=20, choices=Category.choices)
    uses_per_voucher = models.PositiveSmallIntegerField(
        _("uses per voucher"), default=1, validators=[MinValueValidator(1)]
    )
    face_value_twd = models.PositiveIntegerField(_("face value (NT$)"), default=0)
    holder_type = models.CharField(
        _("holder type"), max_length=20, choices=HolderType.choices, default=HolderType.VEHICLE
    )
    holder_has_owned = models.BooleanField(
        _("only members who have owned one of our cars"),
        default=False,
        help_text=_(
            "A repurchase benefit: the member must have owned one of our cars at some time, whether or "
            "not they own one now. Only for vouchers held by a member."
        ),
    )
    validity_policy = models.CharField(
        _("validity policy"),
        max_length=30,
        choices=ValidityPolicy.choices,
        default=ValidityPolicy.DAYS_FROM_ISSUE,
    )
    valid_from_date = models.DateField(_("valid from"), null=True, blank=True)
    valid_until_date = models.DateField(_("valid until"), null=True, blank=True)
    validity_days = models.PositiveIntegerField(_("validity (days)"), null=True, blank=True)
    delivery_offset_months = models.PositiveSmallIntegerField(_("starts months after delivery"), default=0)
    delivery_window_months = models.PositiveSmallIntegerField(_("window length (months)"), default=12)
    series_count = models.PositiveSmallIntegerField(
        _("vouchers per issue"),
        default=1,
        validators=[MinValueValidator(1)],
        help_text=_("e.g. 12 for a maintenance pack whose k-th voucher is valid in year k after delivery"),
    )
    series_step_months = models.PositiveSmallIntegerField(
        _("months between vouchers of a series"), default=12
    )
    warn_days = models.PositiveSmallIntegerField(_("expiring-soon warning (days)"), default=30)
    reminder_days = models.CharField(
        _("expiry reminders (days before)"),
        max_length=40,
        default="30,7,1",
        validators=[
            RegexValidator(r"^\s*(\d{1,3}\s*(,\s*\d{1,3}\s*)*)?$", _("Comma-separated numbers of days"))
        ],
    )
    allowed_models = models.ManyToManyField(
        VehicleModel, blank=True, related_name="+", verbose_name=_("only for vehicle models")
    )
    allowed_dealers = models.ManyToManyField(
        Dealer, blank=True, related_name="+", verbose_name=_("only at dealers")
    )
    allowed_cities = models.CharField(
        _("only in cities"), max_length=200, blank=True, help_text=_("comma-separated")
    )
    refundable = models.BooleanField(_("refunds allowed"), default=False)
    # What the brand pays the serving dealer per use of a voucher it funds (finance's settlement);
    # set by Finance, not in the wizard: a price change applies to uses settled afterwards.
    settlement_price_twd = models.PositiveIntegerField(
        _("settlement price per use (NT$)"),
        default=0,
        help_text=_("What the brand pays the dealer for each use it serves; set by Finance."),
    )

    # Step 2: issue rules
    channel_manual = models.BooleanField(_("manual / whitelist"), default=True)
    channel_claim = models.BooleanField(_("owner self-claim"), default=False)
    channel_event = models.BooleanField(_("event triggered"), default=False)
    channel_api = models.BooleanField(_("partner API"), default=False)
    channel_bundle = models.BooleanField(_("sold in a pack"), default=False)
    channel_shop = models.BooleanField(
        _("sold on its own in the shop"),
        default=False,
        help_text=_("Paid vouchers only: offered in the online shop and at the counter at their face value."),
    )
    claim_min_tier = models.PositiveSmallIntegerField(
        _("minimum tier"), choices=Tier.choices, null=True, blank=True
    )
    claim_owners_only = models.BooleanField(_("owners only"), default=False)
    claim_models = models.ManyToManyField(
        VehicleModel, blank=True, related_name="+", verbose_name=_("claimable for vehicle models")
    )
    claim_starts_at = models.DateTimeField(_("claim window opens"), null=True, blank=True)
    claim_ends_at = models.DateTimeField(_("claim window closes"), null=True, blank=True)
    stock_total = models.PositiveIntegerField(
        _("total stock"), null=True, blank=True, help_text=_("empty: unlimited")
    )
    stock_issued = models.PositiveIntegerField(_("issued so far"), default=0, editable=False)
    per_holder_limit = models.PositiveSmallIntegerField(_("limit per holder"), null=True, blank=True)
    trigger_event = models.CharField(
        _("event"), max_length=30, choices=TriggerEvent.choices, blank=True, default=""
    )
    trigger_once_per = models.CharField(
        _("event issues"), max_length=10, choices=TriggerOncePer.choices, default=TriggerOncePer.VEHICLE
    )

    # Step 3: activation rules
    activation_mode = models.CharField(
        _("activation"), max_length=20, choices=ActivationMode.choices, default=ActivationMode.AUTOMATIC
    )
    activation_requires_verified_identity = models.BooleanField(
        _("holder must have a verified identity"), default=False
    )

    # Step 4: customer-side style
    card_title = models.CharField(_("card title"), max_length=60, blank=True)
    card_subtitle = models.CharField(_("card subtitle"), max_length=80, blank=True)
    card_colour = models.CharField(
        _("card colour"),
        max_length=7,
        default="#1F3A5F",
        validators=[RegexValidator(r"^#[0-9A-Fa-f]{6}$", _("A colour such as #1F3A5F"))],
    )
    card_image = models.ImageField(_("card image"), upload_to="cards/", blank=True)
    notice = models.TextField(_("notice"), blank=True)
    usage_rules = models.TextField(_("usage rules"), blank=True)
    show_new_badge = models.BooleanField(_("show 'New' badge"), default=True)
    show_expiring_badge = models.BooleanField(_("show 'Expiring soon' badge"), default=True)
    show_restriction_tags = models.BooleanField(_("show restriction tags"), default=True)

    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    wizard_step = models.PositiveSmallIntegerField(_("wizard steps completed"), default=0)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("voucher definition")
        verbose_name_plural = _("voucher definitions")
        constraints = [
            models.CheckConstraint(
                condition=Q(stock_total__isnull=True) | Q(stock_issued__lte=F("stock_total")),
                name="definition_stock_not_oversold",
            ),
            models.CheckConstraint(condition=Q(uses_per_voucher__gte=1), name="definition_uses_positive"),
            models.CheckConstraint(condition=Q(series_count__gte=1), name="definition_series_positive"),
            # "Has owned one of our cars" is a rule about a member; a car or an order has no such past.
            models.CheckConstraint(
                condition=Q(holder_has_owned=False) | Q(holder_type="member"),
                name="definition_has_owned_needs_member_holder",
                violation_error_message=HAS_OWNED_NEEDS_MEMBER,
            ),
        ]
        indexes = [models.Index(fields=["kind", "category", "status"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def title(self) -> str:
        return self.title_from(card_title=self.card_title, name=self.name)

    @staticmethod
    def title_from(*, card_title: str, name: str) -> str:
        """The title customers and advisors see: the card's, else the definition's name (for a
        list read as columns, without a definition object per row)."""
        return card_title or name

    @property
    def reminder_days_list(self) -> list[int]:
        return sorted({int(p) for p in self.reminder_days.replace(" ", "").split(",") if p}, reverse=True)

    @property
    def cities_list(self) -> list[str]:
        return [c.strip() for c in self.allowed_cities.split(",") if c.strip()]

    @property
    def stock_left(self) -> int | None:
        return None if self.stock_total is None else self.stock_total - self.stock_issued


class Bundle(models.Model):
    """A pack (套票) sold to owners; buying it issues each item's vouchers."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    price_twd = models.PositiveIntegerField(_("price (NT$)"))
    is_active = models.BooleanField(_("on sale"), default=True)
    sold_online = models.BooleanField(_("sold in the online shop"), default=True)
    sold_at_counter = models.BooleanField(_("sold at the counter"), default=True)
    refund_fee_twd = models.PositiveIntegerField(
        _("refund fee (NT$)"),
        default=0,
        help_text=_("Deducted from the pro-rata refund of a partly used pack."),
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("pack")
        verbose_name_plural = _("packs")

    def __str__(self) -> str:
        return self.name


class BundleItem(models.Model):
    bundle = models.ForeignKey(
        Bundle, verbose_name=_("bundle"), on_delete=models.CASCADE, related_name="items"
    )
    definition = models.ForeignKey(
        VoucherDefinition, verbose_name=_("definition"), on_delete=models.PROTECT, related_name="bundle_items"
    )
    quantity = models.PositiveSmallIntegerField(_("quantity"), default=1, validators=[MinValueValidator(1)])

    class Meta:
        constraints = [models.UniqueConstraint(fields=["bundle", "definition"], name="bundle_item_unique")]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.definition}"


class Order(models.Model):
    """A purchase of a pack or of paid vouchers (online, at the counter, by phone), or any order
    vouchers are issued against. The shop app runs its commerce life cycle
    (`pending → paid → issued`, or `pending → expired | cancelled`; refunded afterwards); this app
    issues its vouchers (`order_issue`)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting payment")
        PAID = "paid", _("Paid")
        ISSUED = "issued", _("Issued")
        EXPIRED = "expired", _("Expired unpaid")
        CANCELLED = "cancelled", _("Cancelled")
        REFUNDED = "refunded", _("Refunded")
        PARTLY_REFUNDED = "partly_refunded", _("Partly refunded")

    class Channel(models.TextChoices):
        ONLINE = "online", _("Online shop")
        COUNTER = "counter", _("Counter")
        PHONE = "phone", _("Phone order")
        API = "api", _("Partner API")

    number = models.CharField(_("order number"), max_length=20, null=True, blank=True, unique=True)
    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="orders", verbose_name=_("member")
    )
    vehicle = models.ForeignKey(
        Vehicle,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="orders",
        verbose_name=_("vehicle"),
    )
    bundle = models.ForeignKey(
        Bundle, on_delete=models.PROTECT, null=True, blank=True, related_name="orders", verbose_name=_("pack")
    )
    definition = models.ForeignKey(
        VoucherDefinition,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="orders",
        verbose_name=_("paid voucher"),
    )
    quantity = models.PositiveSmallIntegerField(_("quantity"), default=1)
    unit_price_twd = models.PositiveIntegerField(_("unit price (NT$)"), default=0)
    amount_twd = models.PositiveIntegerField(_("amount (NT$)"), default=0)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.ONLINE)
    dealer = models.ForeignKey(
        Dealer,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="orders",
        verbose_name=_("selling dealer"),
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PENDING)
    external_ref = models.CharField(
        _("external reference"), max_length=80, null=True, blank=True, unique=True
    )
    # The placing form's or caller's key: a double submit returns the first order instead of a second.
    idempotency_key = models.CharField(max_length=120, null=True, blank=True, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    expires_at = models.DateTimeField(_("reservation ends"), null=True, blank=True, db_index=True)
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)
    issued_at = models.DateTimeField(_("issued"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        constraints = [
            models.CheckConstraint(
                condition=Q(bundle__isnull=True) | Q(definition__isnull=True), name="order_one_kind_of_item"
            ),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="order_quantity_positive"),
        ]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return self.number or f"#{self.pk}"


class Voucher(models.Model):
    """One issued entitlement. `uses_left` is a projection of the ledger, kept in step by the services."""

    class Status(models.TextChoices):
        INACTIVE = "inactive", _("Not activated")
        ACTIVE = "active", _("Active")
        HELD = "held", _("Held")
        LOCKED = "locked", _("Locked")
        USED = "used", _("Used")
        EXPIRED = "expired", _("Expired")
        VOIDED = "voided", _("Voided")
        REFUNDED = "refunded", _("Refunded")

    class Source(models.TextChoices):
        MANUAL = "manual", _("Back office")
        BULK = "bulk", _("Bulk issuance")
        CLAIM = "claim", _("Owner self-claim")
        EVENT = "event", _("Event")
        CAMPAIGN = "campaign", _("Campaign")
        API = "api", _("Partner API")
        BUNDLE = "bundle", _("Pack purchase")
        PURCHASE = "purchase", _("Voucher purchase")
        POINTS = "points", _("Points exchange")
        TIER_BENEFIT = "tier_benefit", _("Tier benefit")
        REFERRAL = "referral", _("Referral reward")
        DEMO = "demo", _("Demo data")

    code = models.CharField(_("code"), max_length=16, unique=True)
    # The holder and definition foreign keys lead the composite indexes below, which serve every
    # lookup by them: their own indexes only cost inserts (bulk issuance).
    definition = models.ForeignKey(
        VoucherDefinition,
        on_delete=models.PROTECT,
        related_name="vouchers",
        verbose_name=_("definition"),
        db_index=False,
    )
    member = models.ForeignKey(
        Member,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="vouchers",
        verbose_name=_("member"),
        db_index=False,
    )
    vehicle = models.ForeignKey(
        Vehicle,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="vouchers",
        verbose_name=_("vehicle"),
        db_index=False,
    )
    order = models.ForeignKey(
        Order,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="vouchers",
        verbose_name=_("order"),
        db_index=False,  # indexed where set (Meta): only vouchers sold in the shop have one
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    # The part of its order's amount this voucher was paid for (largest-remainder split); 0 if free.
    amount_paid_twd = models.PositiveIntegerField(_("amount paid (NT$)"), default=0)
    uses_total = models.PositiveSmallIntegerField(_("uses"))
    uses_left = models.PositiveSmallIntegerField(_("uses left"))
    valid_from = models.DateTimeField(_("valid from"), null=True, blank=True)
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    series_index = models.PositiveSmallIntegerField(_("number in series"), default=0)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    external_ref = models.CharField(_("external reference"), max_length=80, blank=True, db_index=True)
    issued_at = models.DateTimeField(_("issued"), default=timezone.now)
    activated_at = models.DateTimeField(_("activated"), null=True, blank=True)
    status_changed_at = models.DateTimeField(_("status changed"), default=timezone.now)

    class Meta:
        ordering = ["-issued_at", "-pk"]
        verbose_name = _("voucher")
        verbose_name_plural = _("vouchers")
        constraints = [
            models.CheckConstraint(condition=Q(uses_total__gte=1), name="voucher_uses_total_positive"),
            models.CheckConstraint(
                condition=Q(uses_left__gte=0) & Q(uses_left__lte=F("uses_total")),
                name="voucher_uses_left_in_range",
            ),
            models.CheckConstraint(
                condition=Q(member__isnull=False) | Q(vehicle__isnull=False) | Q(order__isnull=False),
                name="voucher_has_holder",
            ),
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True)
                | Q(valid_until__isnull=True)
                | Q(valid_until__gte=F("valid_from")),
                name="voucher_validity_ordered",
            ),
            models.CheckConstraint(
                condition=Q(
                    status__in=[
                        "inactive",
                        "active",
                        "held",
                        "locked",
                        "used",
                        "expired",
                        "voided",
                        "refunded",
                    ]
                ),
                name="voucher_status_known",
            ),
            models.CheckConstraint(
                condition=~Q(status="used") | Q(uses_left=0), name="voucher_used_means_no_uses_left"
            ),
            # The last use makes it `used`; a voucher still open always has a use to give.
            models.CheckConstraint(
                condition=~Q(status__in=["inactive", "active", "held", "locked"]) | Q(uses_left__gte=1),
                name="voucher_open_has_a_use_left",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "valid_until"], name="voucher_status_until"),
            models.Index(fields=["vehicle", "status"], name="voucher_vehicle_status"),
            models.Index(fields=["member", "status"], name="voucher_member_status"),
            models.Index(fields=["definition", "status"], name="voucher_definition_status"),
            index_of_set_values("order", name="voucher_order_set"),
        ]

    def __str__(self) -> str:
        return self.code_display

    @property
    def code_display(self) -> str:
        return code_format(self.code)


class LedgerEntry(models.Model):
    """Append-only: one row per change of a voucher's state or uses. Never updated, never deleted."""

    class Kind(models.TextChoices):
        ISSUED = "issued", _("Issued")
        ACTIVATED = "activated", _("Activated")
        HELD = "held", _("Service started (held)")
        HOLD_RELEASED = "hold_released", _("Hold released")
        REDEEMED = "redeemed", _("Redeemed")
        REVERSED = "reversed", _("Redemption reversed")
        REFUND_REQUESTED = "refund_requested", _("Refund requested")
        REFUND_APPROVED = "refund_approved", _("Refund approved")
        REFUND_REJECTED = "refund_rejected", _("Refund rejected")
        LOCKED = "locked", _("Locked")
        UNLOCKED = "unlocked", _("Unlocked")
        VOIDED = "voided", _("Voided")
        EXPIRED = "expired", _("Expired")
        EXTENDED = "extended", _("Validity extended")

    # Indexed by (voucher, kind) below.
    voucher = models.ForeignKey(
        Voucher, verbose_name=_("voucher"), on_delete=models.PROTECT, related_name="ledger", db_index=False
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    delta = models.SmallIntegerField(_("change in uses"), default=0, help_text=_("change of uses left"))
    status_before = models.CharField(
        _("status before"), max_length=20, choices=Voucher.Status.choices, blank=True
    )
    status_after = models.CharField(_("status after"), max_length=20, choices=Voucher.Status.choices)
    uses_left_after = models.PositiveSmallIntegerField(_("uses left after"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff user"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # indexed where set (Meta): system, partner and owner entries have none
    )
    actor_label = models.CharField(
        _("by"), max_length=80, blank=True, help_text=_("who, when not a user: api:shop, system, owner")
    )
    dealer = models.ForeignKey(
        Dealer,
        verbose_name=_("dealer"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # indexed where set (Meta): issuance and expiry entries have none
    )
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    # NULL, not "", so that the partial unique constraint ignores entries written without a key.
    idempotency_key = models.CharField(_("idempotency key"), max_length=200, null=True, blank=True)  # noqa: DJ001
    data = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["voucher_id", "pk"]
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger")
        constraints = [
            models.UniqueConstraint(
                fields=["voucher", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="ledger_idempotency_key_unique_per_voucher",
            ),
            # A redemption's use is given back at most once (`data.reverses`: the redeemed entry).
            models.UniqueConstraint(
                KeyTextTransform("reverses", "data"),
                condition=Q(kind="reversed"),
                name="ledger_redemption_reversed_once",
            ),
        ]
        indexes = [
            models.Index(fields=["voucher", "kind"]),
            models.Index(fields=["kind", "created_at"]),
            index_of_set_values("actor", name="ledger_actor_set"),
            index_of_set_values("dealer", name="ledger_dealer_set"),
        ]

    # Not stored: set by the services on the entry they answer when the call was a replay of an
    # earlier one with the same idempotency key (nothing was written).
    replayed = False

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.delta:+d}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError("Ledger entries are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Ledger entries are append-only.")


class RefundRequest(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for operations")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    voucher = models.ForeignKey(
        Voucher, verbose_name=_("voucher"), on_delete=models.PROTECT, related_name="refund_requests"
    )
    member = models.ForeignKey(
        Member,
        verbose_name=_("member"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="refund_requests",
    )
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    amount_twd = models.PositiveIntegerField(_("amount (NT$)"), default=0)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    created_at = models.DateTimeField(_("requested"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decision_reason = models.CharField(_("decision reason"), max_length=300, blank=True)
    # Asked for with its whole order (the shop's order refund): decided only with the order, so that
    # the money, the order's status and its e-invoice move together.
    in_order = models.BooleanField(_("part of an order refund"), default=False, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("refund request")
        verbose_name_plural = _("refund requests")
        constraints = [
            models.UniqueConstraint(
                fields=["voucher"], condition=Q(status="pending"), name="one_pending_refund_per_voucher"
            )
        ]

    def __str__(self) -> str:
        return f"{self.voucher} ({self.get_status_display()})"


class IssueBatch(models.Model):
    """A bulk issuance: a whitelist (CSV) or a segment, checked in a dry run, then issued by a task."""

    class Status(models.TextChoices):
        CHECKING = "checking", _("Checking the rows (dry run)")
        PREPARED = "prepared", _("Checked, waiting for confirmation")
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Issuing")
        STOPPED = "stopped", _("Stopped")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    class SourceKind(models.TextChoices):
        FILE = "file", _("Uploaded whitelist")
        AUDIENCE = "audience", _("Saved segment")

    definition = models.ForeignKey(
        VoucherDefinition,
        on_delete=models.PROTECT,
        related_name="issue_batches",
        verbose_name=_("definition"),
    )
    source_kind = models.CharField(_("source"), max_length=10, choices=SourceKind.choices)
    source_label = models.CharField(_("file or segment"), max_length=200)
    identifier_kind = models.CharField(_("the file lists"), max_length=10, default="auto")
    reason = models.CharField(_("reason"), max_length=300)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.CHECKING, db_index=True
    )
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_valid = models.PositiveIntegerField(_("rows to issue (dry run)"), default=0)
    rows_done = models.PositiveIntegerField(_("rows processed"), default=0)
    rows_issued = models.PositiveIntegerField(_("rows issued"), default=0)
    rows_rejected = models.PositiveIntegerField(_("rows rejected"), default=0)
    vouchers_issued = models.PositiveIntegerField(_("vouchers issued"), default=0)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("confirmed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    progress_at = models.DateTimeField(_("last progress"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    # Not stored: `issue_batch_process` sets it on the batch it answers when its time budget ran out
    # with rows left (a successor task goes on), as opposed to leaving the last rows to another worker.
    out_of_time = False

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("bulk issuance")
        verbose_name_plural = _("bulk issuances")
        constraints = [
            models.CheckConstraint(
                condition=Q(rows_done__lte=F("rows_total")), name="issue_batch_done_le_total"
            ),
            models.CheckConstraint(
                condition=Q(rows_issued__lte=F("rows_valid")), name="issue_batch_issued_le_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.source_label}"

    @property
    def rows_to_process(self) -> int:
        return self.rows_valid

    @property
    def percent_done(self) -> int:
        if not self.rows_valid:
            return 100 if self.status == self.Status.DONE else 0
        processed = self.rows_done - (self.rows_total - self.rows_valid)
        return max(0, min(100, round(100 * processed / self.rows_valid)))


class IssueBatchRow(models.Model):
    """One line of a bulk issuance. (batch, row_number) is unique and a row is issued at most once:
    its status changes to `issued` in the same transaction that creates its vouchers."""

    class Status(models.TextChoices):
        UNCHECKED = "unchecked", _("Not checked yet")
        PENDING = "pending", _("To issue")
        ISSUED = "issued", _("Issued")
        REJECTED = "rejected", _("Rejected")

    class Reason(models.TextChoices):
        MALFORMED = "malformed", _("Malformed")
        UNKNOWN = "unknown", _("Unknown vehicle or member")
        DUPLICATE = "duplicate", _("Duplicate in the file")
        NOT_ELIGIBLE = "not_eligible", _("Not eligible")
        STOCK_EXHAUSTED = "stock_exhausted", _("Stock exhausted")

    # Indexed by the unique (batch, row_number) below.
    batch = models.ForeignKey(
        IssueBatch,
        verbose_name=_("bulk issuance"),
        on_delete=models.CASCADE,
        related_name="rows",
        db_index=False,
    )
    row_number = models.PositiveIntegerField(_("row"))
    raw = models.CharField(_("value"), max_length=200)
    # Indexed by the partial indexes below: a row names a vehicle or a member, rarely both.
    vehicle = models.ForeignKey(
        Vehicle,
        verbose_name=_("vehicle"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    member = models.ForeignKey(
        Member,
        verbose_name=_("member"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices, blank=True)
    detail = models.CharField(_("detail"), max_length=200, blank=True)
    issued_at = models.DateTimeField(_("issued"), null=True, blank=True)

    class Meta:
        ordering = ["batch_id", "row_number"]
        verbose_name = _("bulk issuance row")
        verbose_name_plural = _("bulk issuance rows")
        constraints = [
            models.UniqueConstraint(fields=["batch", "row_number"], name="issue_batch_row_unique"),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(reason=""), name="issue_batch_rejected_has_reason"
            ),
            models.CheckConstraint(
                condition=~Q(status="issued") | Q(issued_at__isnull=False), name="issue_batch_issued_has_time"
            ),
        ]
        # Issuing marks every row issued: an issued row leaves the status index (which finds the
        # pending and the rejected rows), and a NULL holder column enters no index, so the mark
        # writes 3 index entries instead of 5.
        indexes = [
            models.Index(
                fields=["batch", "status", "row_number"],
                condition=~Q(status="issued"),
                name="issue_batch_row_open",
            ),
            models.Index(
                fields=["vehicle"], condition=Q(vehicle__isnull=False), name="issue_batch_row_vehicle"
            ),
            models.Index(fields=["member"], condition=Q(member__isnull=False), name="issue_batch_row_member"),
        ]

    def __str__(self) -> str:
        return f"{self.row_number}: {self.raw}"
