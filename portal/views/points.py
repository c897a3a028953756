"""The owner's points: balance, tier and progress to the next, points about to expire, history."""

from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from loyalty.selectors import EXPIRY_WARNING_DAYS, Progress, points_overview

from ..auth import owner_required


def progress_sentence(progress: Progress | None) -> str:
    """ "NT$3,200 more to Gold", "2 more visits to Gold", or both joined by the measure's word."""
    if progress is None:
        return ""
    tier = progress.next_tier.name
    spend = (
        _("NT$%(amount)s more") % {"amount": f"{progress.spend_needed:,}"} if progress.spend_needed else ""
    )
    visits = _("%(count)s more visits") % {"count": progress.visits_needed} if progress.visits_needed else ""
    if spend and visits:
        joined = _("%(spend)s and %(visits)s") if progress.measure == "both" else _("%(spend)s or %(visits)s")
        needed = joined % {"spend": spend, "visits": visits}
    else:
        needed = spend or visits
    if not needed:
        return _("You qualify for %(tier)s: it is yours at the next nightly review.") % {"tier": tier}
    return _("%(needed)s to %(tier)s") % {"needed": needed, "tier": tier}


@owner_required
@require_GET
def points(request):
    overview = points_overview(request.owner, now=timezone.now())
    return render(
        request,
        "portal/points.html",
        {
            "overview": overview,
            "progress": progress_sentence(overview.progress),
            "warning_days": EXPIRY_WARNING_DAYS,
            "nav": "points",
        },
    )
