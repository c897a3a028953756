"""A referral succeeds when the member someone referred becomes a vehicle owner for the first time."""

from datetime import datetime

from django.db import IntegrityError, transaction
from django_q.tasks import async_task

from members.models import Member
from vehicles.models import Vehicle

from .. import signals
from ..models import ReferralSuccess


def referral_record_success(
    *, referred: Member, vehicle: Vehicle | None = None, now: datetime | None = None
) -> ReferralSuccess | None:
    """Record the referral once; after commit the referrer's reward is issued in a task."""
    if referred.referred_by_id is None or referred.referred_by_id == referred.pk:
        return None
    try:
        with transaction.atomic():
            success = ReferralSuccess.objects.create(
                referrer_id=referred.referred_by_id, referred=referred, vehicle=vehicle
            )
    except IntegrityError:
        return None  # already rewarded
    signals.referral_succeeded.send(ReferralSuccess, referral=success)
    referrer_id = success.referrer_id
    transaction.on_commit(lambda: async_task("campaigns.tasks.event_issue", "referral", None, referrer_id))
    return success
