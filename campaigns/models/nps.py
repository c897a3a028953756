"""One-question satisfaction surveys (NPS) sent after a redemption or a workshop visit."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.models import Dealer, Member
from redemption.models import Redemption
from vehicles.models import Vehicle, Visit


class NpsSurvey(models.Model):
    """A survey for one visit or one redemption; the link's token is stored only as its SHA-256."""

    member = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="nps_surveys", verbose_name=_("member")
    )
    vehicle = models.ForeignKey(
        Vehicle, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("vehicle")
    )
    dealer = models.ForeignKey(Dealer, on_delete=models.PROTECT, related_name="+", verbose_name=_("dealer"))
    advisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("advisor"),
    )
    # At most one survey per redemption and per visit: the one-to-one columns are unique.
    redemption = models.OneToOneField(
        Redemption,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="nps_survey",
        verbose_name=_("redemption"),
    )
    visit = models.OneToOneField(
        Visit,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="nps_survey",
        verbose_name=_("visit"),
    )
    token_hash = models.CharField(_("link token (SHA-256)"), max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    expires_at = models.DateTimeField(_("link valid until"))
    score = models.PositiveSmallIntegerField(_("score (0–10)"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("satisfaction survey")
        verbose_name_plural = _("satisfaction surveys (NPS)")
        constraints = [
            models.CheckConstraint(
                condition=Q(redemption__isnull=False, visit__isnull=True)
                | Q(redemption__isnull=True, visit__isnull=False),
                name="nps_survey_one_source",
            ),
            models.CheckConstraint(
                condition=Q(score__isnull=True, answered_at__isnull=True)
                | Q(score__gte=0, score__lte=10, answered_at__isnull=False),
                name="nps_survey_answer_complete",
            ),
        ]
        indexes = [models.Index(fields=["dealer", "answered_at"])]

    def __str__(self) -> str:
        return f"{self.dealer} · {self.score if self.score is not None else '—'}"
