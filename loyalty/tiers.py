"""Which tier a member's activity earns, and when their membership anniversary falls: pure functions."""

from datetime import date

from .activity import Activity
from .models import Programme, TierLevel

Measure = Programme.Measure


def tier_reached(level: TierLevel, activity: Activity, measure: str) -> bool:
    """Whether `activity` earns `level`. Under "either", a threshold of 0 is not a way in."""
    spend = activity.spend_twd >= level.spend_twd
    visits = activity.visits >= level.visits
    if measure == Measure.SPEND:
        return spend
    if measure == Measure.VISITS:
        return visits
    if measure == Measure.BOTH:
        return spend and visits
    if not level.spend_twd and not level.visits:
        return True
    return (level.spend_twd > 0 and spend) or (level.visits > 0 and visits)


def tier_qualifying(levels: list[TierLevel], activity: Activity, measure: str) -> TierLevel:
    """The highest tier reached; the entry tier (lowest rank) whatever the activity."""
    ordered = sorted(levels, key=lambda level: level.rank)
    for level in reversed(ordered[1:]):
        if tier_reached(level, activity, measure):
            return level
    return ordered[0]


def tier_next(levels: list[TierLevel], current: TierLevel) -> TierLevel | None:
    higher = [level for level in levels if level.rank > current.rank]
    return min(higher, key=lambda level: level.rank) if higher else None


def anniversary_after(joined: date, today: date) -> date:
    """The first anniversary of `joined` after `today` (29 February falls on the 28th in other years)."""
    for year in (today.year, today.year + 1):
        try:
            day = joined.replace(year=year)
        except ValueError:
            day = date(year, 2, 28)
        if day > today:
            return day
    raise AssertionError("unreachable")  # pragma: no cover
