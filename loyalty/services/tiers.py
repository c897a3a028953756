"""Tier re-evaluation: upgrades take effect at once, downgrades only at the membership anniversary.

Each change writes one `TierChange` (the history), moves the member's rank in `members`, and is
announced (`signals.tier_changed`) so that campaigns sends one notification through its outbox.
"""

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django_q.tasks import async_task

from members.models import Member
from members.services import member_tier_set

from .. import signals
from ..activity import member_activity
from ..locks import account_for_update
from ..models import Programme, TierChange, TierLevel, TierStanding
from ..tiers import anniversary_after, tier_qualifying
from .ledger import account_of

Kind = TierChange.Kind


def tier_evaluate(
    *, member: Member, now: datetime | None = None, levels: list[TierLevel] | None = None
) -> TierChange | None:
    """Re-evaluate one member; the change made, if any."""
    now = now or timezone.now()
    levels = list(TierLevel.objects.all()) if levels is None else levels
    if not levels:
        return None
    measure = Programme.current().tier_measure
    today = timezone.localdate(now)
    joined = timezone.localdate(member.created_at)
    with transaction.atomic():
        account = account_for_update(account_of(member).pk)
        activity = member_activity(member_id=member.pk, now=now)
        reached = tier_qualifying(levels, activity, measure)
        standing = TierStanding.objects.filter(account=account).select_related("tier").first()
        change = None
        if standing is None:
            standing = TierStanding(
                account=account, tier=reached, since=now, review_on=anniversary_after(joined, today)
            )
            standing.save()
            change = _change(account, Kind.JOINED, None, reached, activity, now)
        else:
            current = standing.tier
            anniversary = today >= standing.review_on
            kind = None
            if reached.rank > current.rank:
                kind = Kind.UPGRADED
            elif reached.rank < current.rank and anniversary:
                kind = Kind.DOWNGRADED
            if anniversary:
                standing.review_on = anniversary_after(joined, today)
            if kind is not None:
                standing.tier, standing.since = reached, now
                change = _change(account, kind, current, reached, activity, now)
            if kind is not None or anniversary:
                standing.save()
        if change is not None:
            member_tier_set(member_id=member.pk, rank=change.to_tier.rank)
            if change.kind in (Kind.UPGRADED, Kind.DOWNGRADED):
                signals.tier_changed.send(TierChange, change=change)
            if change.kind == Kind.UPGRADED:  # the new tier's benefits at once, not next night
                account_id = account.pk
                transaction.on_commit(lambda: async_task("loyalty.tasks.benefits_grant", account_id))
    return change


def _change(account, kind, from_tier, to_tier, activity, now) -> TierChange:
    return TierChange.objects.create(
        account=account,
        kind=kind,
        from_tier=from_tier,
        to_tier=to_tier,
        spend_twd=activity.spend_twd,
        visits=activity.visits,
        created_at=now,
    )


def tiers_evaluate_all(*, now: datetime | None = None) -> dict[str, int]:
    """The nightly re-evaluation of every member (not erased), one short transaction each."""
    now = now or timezone.now()
    levels = list(TierLevel.objects.all())
    counts = dict.fromkeys(Kind.values, 0) | {"members": 0}
    if not levels:
        return counts
    members = Member.objects.filter(erased_at__isnull=True).only("pk", "created_at").order_by("pk")
    for member in members.iterator(chunk_size=500):
        counts["members"] += 1
        change = tier_evaluate(member=member, now=now, levels=levels)
        if change is not None:
            counts[change.kind] += 1
    return counts
