"""Points: an append-only ledger per member, the lots it earns (for expiry, oldest first), the rules.

`PointsAccount.balance` is a projection of the ledger (the sum of its deltas) and of the lots (the
sum of what remains in them); `reconcile_points` proves both agree. Every change writes exactly one
`PointsEntry`; a debit records which lots it drew from (`LotUse`) so a reversal can give back to them.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.models import Member

from .exceptions import REFERRAL_REFUSALS


class Programme(models.Model):
    """The programme's settings, one row (pk 1), set by Operations."""

    class Measure(models.TextChoices):
        SPEND = "spend", _("Spend")
        VISITS = "visits", _("Visits")
        EITHER = "either", _("Spend or visits")
        BOTH = "both", _("Spend and visits")

    expiry_months = models.PositiveSmallIntegerField(
        _("points expire after (months)"), default=24, help_text=_("counted from the day they are earned")
    )
    tier_measure = models.CharField(
        _("tiers are earned by"),
        max_length=10,
        choices=Measure.choices,
        default=Measure.EITHER,
        help_text=_(
            "what a member must reach in the last 12 months: a tier's spend, its visits, either or both"
        ),
    )
    referrer_points = models.PositiveIntegerField(
        _("referral: referrer's points"),
        default=0,
        help_text=_("given to the member who referred, when the friend first binds a car or buys"),
    )
    friend_points = models.PositiveIntegerField(_("referral: friend's points"), default=0)
    referrer_definition = models.ForeignKey(
        "vouchers.VoucherDefinition",
        verbose_name=_("referral: referrer's voucher"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"holder_type": "member"},
        help_text=_("optional; a member-held voucher"),
    )
    friend_definition = models.ForeignKey(
        "vouchers.VoucherDefinition",
        verbose_name=_("referral: friend's voucher"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"holder_type": "member"},
        help_text=_("optional; a member-held voucher"),
    )
    referral_monthly_cap = models.PositiveSmallIntegerField(
        _("referral rewards per referrer per month"),
        null=True,
        blank=True,
        default=5,
        help_text=_("calendar month, Asia/Taipei; empty: no limit"),
    )
    point_value_twd = models.DecimalField(
        _("value of one point (NT$)"),
        max_digits=8,
        decimal_places=2,
        default=Decimal("0"),
        help_text=_("what the brand owes for one outstanding point: the points liability in the reports"),
    )

    class Meta:
        verbose_name = _("loyalty programme")
        verbose_name_plural = _("loyalty programme")
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="loyalty_programme_single_row"),
            models.CheckConstraint(condition=Q(expiry_months__gte=1), name="loyalty_expiry_months_positive"),
            models.CheckConstraint(
                condition=Q(point_value_twd__gte=0), name="loyalty_point_value_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return str(_("Loyalty programme"))

    @classmethod
    def current(cls) -> "Programme":
        return cls.objects.get_or_create(pk=1)[0]


class EarnRule(models.Model):
    """How points are earned; several active rules of one kind add up."""

    class Kind(models.TextChoices):
        SPEND = "spend", _("Points per NT$ spent on paid vouchers and packs")
        VISIT = "visit", _("Points per workshop visit")
        BONUS = "bonus", _("Campaign bonus per purchase")
        BIRTHDAY = "birthday", _("Birthday-month multiplier")

    name = models.CharField(_("name"), max_length=80)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    points = models.PositiveIntegerField(
        _("points"), default=0, help_text=_("per step of spend, per visit or per purchase")
    )
    per_twd = models.PositiveIntegerField(
        _("per NT$"), null=True, blank=True, help_text=_("spend rules: points for every this many NT$")
    )
    multiplier_percent = models.PositiveSmallIntegerField(
        _("multiplier (%)"), null=True, blank=True, help_text=_("birthday rules: 200 doubles the points")
    )
    starts_on = models.DateField(_("from"), null=True, blank=True)
    ends_on = models.DateField(_("until"), null=True, blank=True, help_text=_("inclusive"))
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["kind", "pk"]
        verbose_name = _("earn rule")
        verbose_name_plural = _("earn rules")
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="spend") | Q(per_twd__isnull=False, per_twd__gte=1, points__gte=1),
                name="earn_rule_spend_step",
            ),
            models.CheckConstraint(
                condition=~Q(kind="birthday")
                | Q(multiplier_percent__isnull=False, multiplier_percent__gte=100),
                name="earn_rule_birthday_multiplier",
            ),
            models.CheckConstraint(
                condition=Q(starts_on__isnull=True)
                | Q(ends_on__isnull=True)
                | Q(ends_on__gte=models.F("starts_on")),
                name="earn_rule_period_order",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class PointsAccount(models.Model):
    """A member's points; `balance` is the ledger's sum, never negative."""

    member = models.OneToOneField(
        Member, verbose_name=_("member"), on_delete=models.PROTECT, related_name="points_account"
    )
    balance = models.IntegerField(_("points balance"), default=0)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("points account")
        verbose_name_plural = _("points accounts")
        constraints = [
            models.CheckConstraint(condition=Q(balance__gte=0), name="points_balance_not_negative"),
        ]

    def __str__(self) -> str:
        return str(self.member)


class PointsEntry(models.Model):
    """Append-only: one row per change of a balance. Never updated, never deleted."""

    class Kind(models.TextChoices):
        PURCHASE = "purchase", _("Purchase")
        VISIT = "visit", _("Workshop visit")
        BONUS = "bonus", _("Campaign bonus")
        REFERRAL = "referral", _("Referral")
        BENEFIT = "benefit", _("Tier benefit")
        ADJUSTED = "adjusted", _("Manual adjustment")
        EXCHANGED = "exchanged", _("Exchanged for a voucher")
        EXPIRED = "expired", _("Expired")
        REVERSED = "reversed", _("Earning reversed")
        RETURNED = "returned", _("Points returned")

    account = models.ForeignKey(
        PointsAccount, verbose_name=_("points account"), on_delete=models.PROTECT, related_name="entries"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    delta = models.IntegerField(_("points"))
    balance_after = models.IntegerField(_("balance after"))
    # What this entry reverses or returns (an earning reversed, an exchange cancelled).
    reverses = models.ForeignKey(
        "self",
        verbose_name=_("reverses"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversals",
    )
    # The event that caused the entry, e.g. "order:12", "refund:3", "visit:7:2026-12-06": a replay of
    # the same event writes nothing (NULL for entries no event can repeat).
    key = models.CharField(_("source"), max_length=120, null=True, blank=True, unique=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff user"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_label = models.CharField(_("by"), max_length=80, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["account_id", "pk"]
        verbose_name = _("points entry")
        verbose_name_plural = _("points ledger")
        constraints = [
            models.CheckConstraint(condition=~Q(delta=0), name="points_entry_changes_something"),
            models.CheckConstraint(
                condition=Q(balance_after__gte=0), name="points_entry_balance_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.delta:+d}"


class PointsLot(models.Model):
    """Points earned together, which expire together; debits draw from the oldest-expiring lot first."""

    account = models.ForeignKey(
        PointsAccount, verbose_name=_("points account"), on_delete=models.PROTECT, related_name="lots"
    )
    entry = models.OneToOneField(
        PointsEntry, verbose_name=_("earned by"), on_delete=models.PROTECT, related_name="lot"
    )
    points = models.PositiveIntegerField(_("points earned"))
    remaining = models.PositiveIntegerField(_("points remaining"))
    expires_at = models.DateTimeField(_("expires"), db_index=True)

    class Meta:
        ordering = ["expires_at", "pk"]
        verbose_name = _("points lot")
        verbose_name_plural = _("points lots")
        constraints = [
            models.CheckConstraint(
                condition=Q(remaining__lte=models.F("points")), name="points_lot_remaining_within_points"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.remaining}/{self.points}"


class LotUse(models.Model):
    """How many points an entry took from (positive) or gave back to (negative) a lot."""

    entry = models.ForeignKey(PointsEntry, on_delete=models.PROTECT, related_name="lot_uses")
    lot = models.ForeignKey(PointsLot, on_delete=models.PROTECT, related_name="uses")
    points = models.IntegerField()

    class Meta:
        ordering = ["pk"]
        constraints = [models.CheckConstraint(condition=~Q(points=0), name="lot_use_changes_something")]

    def __str__(self) -> str:
        return f"{self.lot_id}: {self.points:+d}"


# --- tiers ----------------------------------------------------------------------------------------


class TierLevel(models.Model):
    """A tier Operations define: its name, its rank (1 is the entry tier) and what earns it over the
    last 12 months. `members.Member.tier` keeps the member's rank for the apps below (claim rules,
    segments); this app sets it."""

    name = models.CharField(_("name"), max_length=40)
    rank = models.PositiveSmallIntegerField(_("rank"), unique=True, help_text=_("1 is the entry tier"))
    spend_twd = models.PositiveIntegerField(_("spend in 12 months (NT$)"), default=0)
    visits = models.PositiveSmallIntegerField(_("visits in 12 months"), default=0)

    class Meta:
        ordering = ["rank"]
        verbose_name = _("tier")
        verbose_name_plural = _("tiers")
        constraints = [models.CheckConstraint(condition=Q(rank__gte=1), name="tier_rank_positive")]

    def __str__(self) -> str:
        return self.name


class TierStanding(models.Model):
    """A member's tier now, and when a downgrade may next happen (their membership anniversary)."""

    account = models.OneToOneField(
        PointsAccount, verbose_name=_("points account"), on_delete=models.PROTECT, related_name="standing"
    )
    tier = models.ForeignKey(TierLevel, verbose_name=_("tier"), on_delete=models.PROTECT, related_name="+")
    since = models.DateTimeField(_("since"))
    review_on = models.DateField(_("next anniversary review"))

    class Meta:
        verbose_name = _("tier standing")
        verbose_name_plural = _("tier standings")

    def __str__(self) -> str:
        return f"{self.account} {self.tier}"


class TierChange(models.Model):
    """Tier history: every change of a member's tier, with what was measured. Never updated."""

    class Kind(models.TextChoices):
        MIGRATED = "migrated", _("Carried over from the former tier label")
        JOINED = "joined", _("Joined")
        UPGRADED = "upgraded", _("Upgraded")
        DOWNGRADED = "downgraded", _("Downgraded")

    account = models.ForeignKey(
        PointsAccount, verbose_name=_("points account"), on_delete=models.PROTECT, related_name="tier_changes"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    from_tier = models.ForeignKey(
        TierLevel, verbose_name=_("from"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    to_tier = models.ForeignKey(TierLevel, verbose_name=_("to"), on_delete=models.PROTECT, related_name="+")
    spend_twd = models.PositiveIntegerField(_("spend in 12 months (NT$)"), default=0)
    visits = models.PositiveIntegerField(_("visits in 12 months"), default=0)
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        ordering = ["account_id", "pk"]
        verbose_name = _("tier change")
        verbose_name_plural = _("tier history")

    def __str__(self) -> str:
        return f"{self.from_tier} → {self.to_tier}"


# --- exchange -----------------------------------------------------------------------------------------


class ExchangeOffer(models.Model):
    """A voucher members may take for points in the claim centre (the definition's stock applies)."""

    definition = models.ForeignKey(
        "vouchers.VoucherDefinition",
        verbose_name=_("voucher definition"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"holder_type": "member"},
        help_text=_("a member-held voucher: it follows the member, whichever car they bring"),
    )
    points_price = models.PositiveIntegerField(_("price in points"))
    per_member_limit = models.PositiveSmallIntegerField(
        _("limit per member"), null=True, blank=True, help_text=_("empty: no limit")
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["points_price", "pk"]
        verbose_name = _("points exchange offer")
        verbose_name_plural = _("points exchange offers")
        constraints = [
            models.CheckConstraint(condition=Q(points_price__gte=1), name="exchange_offer_price_positive"),
            models.CheckConstraint(
                condition=Q(per_member_limit__isnull=True) | Q(per_member_limit__gte=1),
                name="exchange_offer_limit_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.definition} ({self.points_price})"


class Exchange(models.Model):
    """Points exchanged for a voucher: the debit and the voucher, made in one transaction."""

    class Status(models.TextChoices):
        DONE = "done", _("Exchanged")
        CANCELLED = "cancelled", _("Cancelled, points returned")

    offer = models.ForeignKey(
        ExchangeOffer, verbose_name=_("offer"), on_delete=models.PROTECT, related_name="exchanges"
    )
    account = models.ForeignKey(
        PointsAccount, verbose_name=_("points account"), on_delete=models.PROTECT, related_name="exchanges"
    )
    entry = models.OneToOneField(
        PointsEntry, verbose_name=_("points entry"), on_delete=models.PROTECT, related_name="exchange"
    )
    voucher = models.OneToOneField(
        "vouchers.Voucher", verbose_name=_("voucher"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DONE)
    idempotency_key = models.CharField(_("idempotency key"), max_length=200)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)

    class Meta:
        ordering = ["-pk"]
        verbose_name = _("points exchange")
        verbose_name_plural = _("points exchanges")
        constraints = [
            models.CheckConstraint(
                condition=Q(status="done", cancelled_at__isnull=True)
                | Q(status="cancelled", cancelled_at__isnull=False),
                name="exchange_cancelled_has_time",
            ),
            models.UniqueConstraint(
                fields=["account", "idempotency_key"], name="exchange_key_unique_per_account"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.offer} → {self.voucher_id}"

    @property
    def points(self) -> int:
        return -self.entry.delta

    @property
    def cancellable(self) -> bool:
        """Done, and its voucher untouched (not used, held, locked, voided or expired)."""
        voucher = self.voucher
        return (
            self.status == self.Status.DONE
            and voucher.status in ("inactive", "active")
            and voucher.uses_left == voucher.uses_total
        )


# --- tier benefits ------------------------------------------------------------------------------------


class TierBenefit(models.Model):
    """A voucher each member of a tier receives once a year, and on reaching the tier."""

    tier = models.ForeignKey(
        TierLevel, verbose_name=_("tier"), on_delete=models.PROTECT, related_name="benefits"
    )
    definition = models.ForeignKey(
        "vouchers.VoucherDefinition",
        verbose_name=_("voucher definition"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"holder_type": "member"},
        help_text=_("a member-held voucher: it follows the member, whichever car they bring"),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["tier__rank", "pk"]
        verbose_name = _("tier benefit")
        verbose_name_plural = _("tier benefits")
        constraints = [
            models.UniqueConstraint(fields=["tier", "definition"], name="tier_benefit_once_per_tier")
        ]

    def __str__(self) -> str:
        return f"{self.tier}: {self.definition}"


class BenefitGrant(models.Model):
    """A benefit given to a member for a calendar year: at most once per period (constraint)."""

    benefit = models.ForeignKey(
        TierBenefit, verbose_name=_("tier benefit"), on_delete=models.PROTECT, related_name="grants"
    )
    account = models.ForeignKey(
        PointsAccount, verbose_name=_("points account"), on_delete=models.PROTECT, related_name="grants"
    )
    period = models.PositiveSmallIntegerField(_("year"))
    voucher = models.OneToOneField(
        "vouchers.Voucher", verbose_name=_("voucher"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("issued"), default=timezone.now)

    class Meta:
        ordering = ["-pk"]
        verbose_name = _("tier benefit issued")
        verbose_name_plural = _("tier benefits issued")
        constraints = [
            models.UniqueConstraint(fields=["benefit", "account", "period"], name="benefit_once_per_period")
        ]

    def __str__(self) -> str:
        return f"{self.benefit} {self.period}"


# --- referrals ----------------------------------------------------------------------------------------


class ReferralCode(models.Model):
    """A member's own referral code: made once, never changed (the link and QR code carry it)."""

    member = models.OneToOneField(
        Member, verbose_name=_("member"), on_delete=models.CASCADE, related_name="referral_code"
    )
    code = models.CharField(_("referral code"), max_length=12, unique=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("referral code")
        verbose_name_plural = _("referral codes")

    def __str__(self) -> str:
        return self.code


class Referral(models.Model):
    """Who referred whom, recorded once when the friend signs up with a code, and how it ended.

    A friend is referred once (unique); the reward is given once, when the friend first binds a car or
    pays for a purchase, to both members, or refused with a stable code (`refusal`)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Signed up, no car or purchase yet")
        REWARDED = "rewarded", _("Rewarded")
        REFUSED = "refused", _("Refused")

    class Trigger(models.TextChoices):
        VEHICLE = "vehicle", _("Bound a car")
        ORDER = "order", _("First purchase")
        LEGACY = "legacy", _("Before the points programme")

    referrer = models.ForeignKey(
        Member, verbose_name=_("referrer"), on_delete=models.PROTECT, related_name="referrals_made"
    )
    friend = models.OneToOneField(
        Member, verbose_name=_("referred friend"), on_delete=models.PROTECT, related_name="referral"
    )
    code = models.CharField(_("referral code"), max_length=12, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    refusal = models.CharField(_("refused because"), max_length=40, blank=True)
    trigger = models.CharField(_("qualified by"), max_length=10, choices=Trigger.choices, blank=True)
    trigger_ref = models.CharField(_("qualifying event"), max_length=40, blank=True)
    referrer_points = models.PositiveIntegerField(_("referrer's points"), default=0)
    friend_points = models.PositiveIntegerField(_("friend's points"), default=0)
    referrer_voucher = models.OneToOneField(
        "vouchers.Voucher",
        verbose_name=_("referrer's voucher"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    friend_voucher = models.OneToOneField(
        "vouchers.Voucher",
        verbose_name=_("friend's voucher"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("signed up"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        indexes = [models.Index(fields=["referrer", "status", "decided_at"], name="referral_cap_idx")]
        constraints = [
            models.CheckConstraint(condition=~Q(referrer=models.F("friend")), name="referral_not_self"),
            models.CheckConstraint(
                condition=Q(status="pending", decided_at__isnull=True, refusal="")
                | Q(status="rewarded", decided_at__isnull=False, refusal="")
                | Q(status="refused", decided_at__isnull=False) & ~Q(refusal=""),
                name="referral_status_consistent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.referrer} → {self.friend}"

    @property
    def refusal_text(self) -> str:
        return str(REFERRAL_REFUSALS.get(self.refusal, self.refusal))
