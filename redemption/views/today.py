"""Today's counter work at this dealer: redemptions and open holds, filterable by advisor."""

from django.http import Http404
from django.utils import timezone
from django.views.decorators.http import require_safe

from members.models import DealerStaff

from ..access import counter_view
from ..forms import TodayFilterForm
from ..models import Redemption
from ..selectors import advisor_label, dealer_day_redemptions, hold_is_stale, local_day_start
from ._common import counter_render

Status = Redemption.Status


@require_safe
@counter_view
def today(request):
    dealer = request.counter.dealer
    form = TodayFilterForm(request.GET or None, dealer=dealer)
    advisor = None
    if form.is_bound:
        if not form.is_valid():
            raise Http404  # an advisor of another dealer, or no advisor at all
        advisor = form.cleaned_data["advisor"]
    now = timezone.now()
    day_start = local_day_start(now)
    rows = [
        {
            "redemption": r,
            "advisor": advisor_label(r.advisor),
            "stale": hold_is_stale(r, now=now),
        }
        for r in dealer_day_redemptions(dealer=dealer, now=now, advisor_id=advisor.pk if advisor else None)
    ]
    holds = [row for row in rows if row["redemption"].status == Status.HELD]
    done = [row for row in rows if row["redemption"].status != Status.HELD]
    staff = (
        DealerStaff.objects.filter(dealer=dealer)
        .select_related("user")
        .order_by("display_name", "user__username")
    )
    return counter_render(
        request,
        "counter/today.html",
        {
            "holds": holds,
            "done": done,
            "totals": {
                "completed": sum(
                    1
                    for row in done
                    if row["redemption"].status == Status.COMPLETED
                    and row["redemption"].completed_at >= day_start
                ),
                "reversed": sum(1 for row in done if row["redemption"].status == Status.REVERSED),
                "cancelled": sum(1 for row in done if row["redemption"].status == Status.CANCELLED),
                "held": len(holds),
                "stale": sum(1 for row in holds if row["stale"]),
            },
            "staff": staff,
            "selected_advisor": advisor,
            "day": timezone.localdate(now),
        },
    )
