"""Finance sets a category's expected breakage rate from a date on."""

from datetime import date

from django.db import transaction
from django.utils import timezone

from config.stored_text import fit_to_column
from members.actors import Actor

from ..exceptions import InvalidBreakageRate
from ..models import BreakageRate


def breakage_rate_set(
    *, category: str, effective_from: date, rate_bp: int, actor: Actor, note: str = ""
) -> BreakageRate:
    """Set (or correct, for the same day) the rate in force from `effective_from`. Reports before that
    day keep the rate they had, so an earlier period's roll-forward does not move."""
    if not 0 <= rate_bp < 10_000:
        raise InvalidBreakageRate()
    with transaction.atomic():
        rate, _created = BreakageRate.objects.select_for_update().update_or_create(
            category=category,
            effective_from=effective_from,
            defaults={
                "rate_bp": rate_bp,
                "note": fit_to_column(BreakageRate, "note", note),
                "set_by_id": actor.user_id,
                "set_at": timezone.now(),
            },
        )
    return rate
