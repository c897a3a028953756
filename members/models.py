from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .dealer_codes import DEALER_CODE_PATTERN, validate_dealer_code
from .phones import phone_masked


class Tier(models.IntegerChoices):
    CLASSIC = 1, _("Classic")
    SILVER = 2, _("Silver")
    GOLD = 3, _("Gold")
    PLATINUM = 4, _("Platinum")


class Channel(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", _("E-mail")
    LINE = "line", _("LINE")


class Language(models.TextChoices):
    ZH_HANT = "zh-hant", "繁體中文"
    EN = "en", "English"


class Dealer(models.Model):
    """A service location of the dealer network (經銷商 / 服務廠)."""

    code = models.CharField(
        _("code"),
        max_length=20,
        unique=True,
        validators=[validate_dealer_code],
        help_text=_("2 to 12 upper-case letters, digits or hyphens, e.g. TPE01."),
    )
    name = models.CharField(_("name"), max_length=120)
    city = models.CharField(_("city"), max_length=40, db_index=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("dealer")
        verbose_name_plural = _("dealers")
        constraints = [
            models.CheckConstraint(condition=Q(code__regex=DEALER_CODE_PATTERN), name="dealer_code_format")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class DealerStaff(models.Model):
    """Associates a Django user (advisor or manager) with the dealer they work for."""

    class Role(models.TextChoices):
        ADVISOR = "advisor", _("Service advisor")
        MANAGER = "manager", _("Dealer manager")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="dealer_staff",
        verbose_name=_("user"),
    )
    dealer = models.ForeignKey(
        Dealer, on_delete=models.PROTECT, related_name="staff", verbose_name=_("dealer")
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.ADVISOR)
    display_name = models.CharField(_("display name"), max_length=80, blank=True)

    class Meta:
        verbose_name = _("dealer staff")
        verbose_name_plural = _("dealer staff")

    def __str__(self) -> str:
        return f"{self.display_name or self.user.get_username()} @ {self.dealer.code}"


class Member(models.Model):
    """A car owner or driver known to the dealer network."""

    # Unique among members who have one: an erased member's number is cleared ("") and must not
    # collide with another erased member's, nor keep the number from a new sign-up.
    phone = models.CharField(
        _("mobile number"), max_length=20, blank=True, help_text=_("E.164, e.g. +886912345678")
    )
    name = models.CharField(_("name"), max_length=80)
    email = models.EmailField(_("e-mail"), blank=True)
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    tier = models.PositiveSmallIntegerField(_("tier"), choices=Tier.choices, default=Tier.CLASSIC)
    identity_verified = models.BooleanField(_("identity verified"), default=False)
    consent_service = models.BooleanField(_("service reminders consent"), default=True)
    consent_marketing = models.BooleanField(_("marketing consent"), default=False)
    preferred_channel = models.CharField(
        _("preferred channel"), max_length=10, choices=Channel.choices, default=Channel.SMS
    )
    # The LINE user id (LINE Login's `sub`), the same for the Messaging API when both channels sit
    # under one LINE provider: signing in with LINE and messages by LINE use this one field.
    line_user_id = models.CharField(_("LINE user id"), max_length=64, blank=True)
    language = models.CharField(
        _("language"), max_length=10, choices=Language.choices, default=Language.ZH_HANT
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # Set when the member's personal data was erased (Taiwan PDPA); the row stays as a pseudonym so
    # vouchers, ledgers and money records keep their holder.
    erased_at = models.DateTimeField(_("personal data erased"), null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("member")
        verbose_name_plural = _("members")
        constraints = [
            models.CheckConstraint(
                condition=Q(phone__startswith="+") | Q(phone="", erased_at__isnull=False),
                name="member_phone_e164",
            ),
            models.UniqueConstraint(fields=["phone"], condition=~Q(phone=""), name="member_phone_unique"),
            # One LINE account signs in one member (portal LINE Login links them).
            models.UniqueConstraint(
                fields=["line_user_id"], condition=~Q(line_user_id=""), name="member_line_user_id_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.phone_masked})"

    @property
    def phone_masked(self) -> str:
        return phone_masked(self.phone)

    @property
    def name_masked(self) -> str:
        """王小明 -> 王○明; Alice Chen -> A**** C***: for advisors at the counter."""
        if self.erased_at is not None:
            return self.name  # the pseudonym, which hides nothing
        name = self.name.strip()
        if not name:
            return ""
        if " " in name:
            return " ".join(part[0] + "*" * (len(part) - 1) for part in name.split())
        if len(name) <= 2:
            return name[0] + "○"
        return name[0] + "○" * (len(name) - 2) + name[-1]


class ConsentChange(models.Model):
    """Every change of a member's notification preferences, kept for Taiwan's personal-data law."""

    class Kind(models.TextChoices):
        SERVICE = "service", _("Service reminders")
        MARKETING = "marketing", _("Marketing")
        CHANNEL = "channel", _("Channel")
        LANGUAGE = "language", _("Language")

    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.CASCADE, related_name="consent_changes"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    old_value = models.CharField(_("old value"), max_length=40, blank=True)
    new_value = models.CharField(_("new value"), max_length=40)
    source = models.CharField(_("source"), max_length=40, help_text=_("portal, admin, opt-out link, import…"))
    changed_at = models.DateTimeField(_("changed at"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-changed_at", "-pk"]
        verbose_name = _("consent change")
        verbose_name_plural = _("consent changes")

    def __str__(self) -> str:
        return f"{self.kind}: {self.old_value} → {self.new_value}"


class ErasureRequest(models.Model):
    """An owner's request to erase their personal data, and what operations decided.

    Kept after the erasure (with the pseudonymised member) as the record that the request was met.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for operations")
        COMPLETED = "completed", _("Personal data erased")
        REFUSED = "refused", _("Refused")

    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="erasure_requests", verbose_name=_("member")
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    source = models.CharField(_("requested through"), max_length=40, default="portal")
    requested_at = models.DateTimeField(_("requested"))
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decision_reason = models.CharField(_("reason"), max_length=300, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        verbose_name = _("erasure request")
        verbose_name_plural = _("erasure requests")
        permissions = [("carry_out_erasurerequest", _("Can erase a member's personal data"))]
        constraints = [
            models.UniqueConstraint(
                fields=["member"], condition=Q(status="pending"), name="one_pending_erasure_per_member"
            ),
            models.CheckConstraint(
                condition=Q(status="pending", decided_at__isnull=True)
                | Q(status__in=["completed", "refused"], decided_at__isnull=False),
                name="erasure_decided_with_time",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_status_display()}"


class RateLimitBucket(models.Model):
    """A fixed-window counter for rate limits that works without Redis and across web nodes."""

    key = models.CharField(max_length=200)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)
    # When the count last grew: the log-in throttle's delay runs from the latest failure.
    last_hit_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "window_start"], name="ratelimit_key_window")]
        indexes = [models.Index(fields=["window_start"])]

    def __str__(self) -> str:
        return f"{self.key} @ {self.window_start:%H:%M}: {self.count}"
