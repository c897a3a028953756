from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class LoginCode(models.Model):
    """A one-time sign-in code sent to a mobile number. Only a keyed hash of the code is stored.

    At most one code per number is open at a time: asking for a new code closes the previous one,
    so an old SMS cannot be used once a newer one was sent.
    """

    class Closed(models.TextChoices):
        USED = "used", _("Used to sign in")
        SUPERSEDED = "superseded", _("Replaced by a newer code")
        TOO_MANY_ATTEMPTS = "attempts", _("Too many wrong attempts")
        EXPIRED = "expired", _("Expired")

    phone = models.CharField(_("mobile number"), max_length=20, db_index=True)
    salt = models.CharField(max_length=32)
    code_hash = models.CharField(max_length=128)
    attempts = models.PositiveSmallIntegerField(_("wrong attempts"), default=0)
    max_attempts = models.PositiveSmallIntegerField(_("attempts allowed"))
    client_ip = models.GenericIPAddressField(_("requested from"), null=True, blank=True)
    created_at = models.DateTimeField(_("requested"))
    expires_at = models.DateTimeField(_("expires"))
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_reason = models.CharField(_("closed because"), max_length=20, choices=Closed.choices, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("sign-in code")
        verbose_name_plural = _("sign-in codes")
        constraints = [
            models.UniqueConstraint(
                fields=["phone"], condition=Q(closed_at__isnull=True), name="one_open_login_code_per_phone"
            ),
            models.CheckConstraint(
                condition=Q(attempts__lte=F("max_attempts")), name="login_code_attempts_bounded"
            ),
            models.CheckConstraint(
                condition=Q(expires_at__gt=F("created_at")), name="login_code_expires_later"
            ),
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True, closed_reason="")
                | Q(closed_at__isnull=False) & ~Q(closed_reason=""),
                name="login_code_closed_with_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.phone} @ {self.created_at:%Y-%m-%d %H:%M}"


class FakeLineGrant(models.Model):
    """The local stand-in for LINE Login (LINE_LOGIN_MODE=fake) keeps its authorization codes here, as
    LINE keeps its own: bound to the client, callback URL, nonce and PKCE challenge, single use and
    valid for ten minutes. Unused with the real LINE."""

    code = models.CharField(max_length=64, unique=True)
    client_id = models.CharField(max_length=64)
    redirect_uri = models.CharField(max_length=500)
    nonce = models.CharField(max_length=255, blank=True)
    code_challenge = models.CharField(max_length=128, blank=True)
    sub = models.CharField(max_length=64)
    name = models.CharField(max_length=80)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.sub} @ {self.created_at:%Y-%m-%d %H:%M}"
