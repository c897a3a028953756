"""Satisfaction surveys (NPS) after a redemption or a workshop visit, and the detractor alert.

The link's token is a random secret; only its SHA-256 is stored, so a leaked table holds no usable
link. Answering locks the survey row and re-checks it; the conditional update `answered_at IS NULL`
together with the check constraint makes a link single-use even under concurrent posts.
"""

import hashlib
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, override

from members.actors import Actor
from members.models import Channel, DealerStaff
from redemption.models import Redemption
from vehicles.models import Ownership, Visit

from ..exceptions import SurveyAlreadyAnswered, SurveyLinkExpired, SurveyLinkInvalid, SurveyScoreInvalid
from ..models import Notification, NpsSurvey
from .notify import Draft, member_notify
from .outbox import notification_queue

SURVEY_VALID_DAYS = 14
# A visit the DMS reports long after the fact (an import of history) gets no survey.
VISIT_MAX_AGE_DAYS = 3
DETRACTOR_MAX = 6
PROMOTER_MIN = 9


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def survey_url(token: str) -> str:
    return f"{settings.SITE_URL}{reverse('portal:survey', args=[token])}"


def _owner_id(vehicle_id: int) -> int | None:
    return (
        Ownership.objects.current().filter(vehicle_id=vehicle_id).values_list("member_id", flat=True).first()
    )


def nps_survey_send(
    *, redemption_id: int | None = None, visit_id: int | None = None, now: datetime | None = None
) -> NpsSurvey | None:
    """Create the one survey of this redemption or visit and queue its message on the owner's channel
    (consent and quiet hours apply as for any service message). Returns None when nobody is asked."""
    now = now or timezone.now()
    if redemption_id is not None:
        source = Redemption.objects.select_related("dealer", "vehicle", "voucher").get(pk=redemption_id)
        if source.status != Redemption.Status.COMPLETED:
            return None
        member_id = _owner_id(source.vehicle_id) or source.voucher.member_id
        fields = {"redemption": source, "advisor_id": source.advisor_id}
    else:
        source = Visit.objects.select_related("dealer", "vehicle").get(pk=visit_id)
        if (timezone.localdate(now) - source.visited_on).days > VISIT_MAX_AGE_DAYS:
            return None
        member_id = _owner_id(source.vehicle_id)
        fields = {"visit": source}
    if member_id is None:
        return None
    token = secrets.token_urlsafe(24)
    try:
        with transaction.atomic():
            survey = NpsSurvey.objects.create(
                member_id=member_id,
                vehicle_id=source.vehicle_id,
                dealer=source.dealer,
                token_hash=_hash(token),
                created_at=now,
                expires_at=now + timedelta(days=SURVEY_VALID_DAYS),
                **fields,
            )
            member_notify(
                Draft(
                    member=survey.member,
                    purpose=Notification.Purpose.NPS_SURVEY,
                    template_key="nps_survey",
                    dedup_key=f"nps:{survey.pk}",
                    context={
                        "dealer": source.dealer.name,
                        "plate": source.vehicle.plate,
                        "survey_url": survey_url(token),
                        "valid_days": SURVEY_VALID_DAYS,
                    },
                ),
                now=now,
            )
    except IntegrityError:  # this redemption or visit already has its survey
        return None
    survey.link_token = token  # known only now (the demo answers with it); never stored
    return survey


def nps_survey_by_token(token: str, *, now: datetime | None = None) -> NpsSurvey:
    """The open survey of this link. Raises SurveyLinkInvalid, SurveyLinkExpired, SurveyAlreadyAnswered."""
    now = now or timezone.now()
    survey = NpsSurvey.objects.select_related("dealer").filter(token_hash=_hash(token)).first()
    _check_open(survey, now)
    return survey


def _check_open(survey: NpsSurvey | None, now: datetime) -> None:
    if survey is None:
        raise SurveyLinkInvalid()
    if survey.answered_at is not None:
        raise SurveyAlreadyAnswered()
    if survey.expires_at <= now:
        raise SurveyLinkExpired()


def nps_survey_answer(
    *, token: str, score: int, comment: str = "", actor: Actor | None = None, now: datetime | None = None
) -> NpsSurvey:
    """Record the owner's answer once; a detractor's answer (0–6) alerts the dealer's managers at once."""
    now = now or timezone.now()
    if not isinstance(score, int) or not 0 <= score <= 10:
        raise SurveyScoreInvalid()
    with transaction.atomic():
        survey = NpsSurvey.objects.select_for_update().filter(token_hash=_hash(token)).first()
        _check_open(survey, now)
        updated = NpsSurvey.objects.filter(pk=survey.pk, answered_at__isnull=True).update(
            score=score, comment=comment.strip()[:2000], answered_at=now
        )
        if updated != 1:
            raise SurveyAlreadyAnswered()
        survey.refresh_from_db()
        if score <= DETRACTOR_MAX:
            nps_detractor_alert(survey=survey, now=now)
    return survey


def nps_detractor_alert(*, survey: NpsSurvey, now: datetime) -> int:
    """An e-mail to each manager of the dealer, queued at once (staff get no quiet hours). Returns the
    number of managers written to; once per survey and manager (the outbox's unique key)."""
    managers = (
        DealerStaff.objects.filter(
            dealer_id=survey.dealer_id, role=DealerStaff.Role.MANAGER, user__is_active=True
        )
        .exclude(user__email="")
        .select_related("user")
    )
    written = 0
    for staff in managers:
        with override("zh-hant"):
            subject = gettext("Detractor alert: score %(score)s at %(dealer)s") % {
                "score": survey.score,
                "dealer": survey.dealer.name,
            }
            body = gettext(
                "An owner gave %(score)s out of 10 after a visit at %(dealer)s on %(day)s.\n"
                "Comment: %(comment)s\nPlease call the owner back; the survey is in the back office: %(url)s"
            ) % {
                "score": survey.score,
                "dealer": survey.dealer.name,
                "day": timezone.localdate(survey.created_at).isoformat(),
                "comment": survey.comment or "—",
                "url": f"{settings.SITE_URL}{reverse('admin:campaigns_npssurvey_change', args=[survey.pk])}",
            }
        _note, created = notification_queue(
            channel=Channel.EMAIL,
            recipient=staff.user.email,
            purpose=Notification.Purpose.NPS_DETRACTOR,
            subject=subject,
            body=body,
            dedup_key=f"nps-detractor:{survey.pk}:{staff.user_id}",
            not_before=now,
        )
        written += created
    return written
