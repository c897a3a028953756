"""Members had a static tier label (members.Member.tier: 1 Classic … 4 Platinum). It becomes the rank
of a tier Operations can rename and give thresholds; every member gets a standing at the tier their
label said, a history row saying so, and a first review at their next membership anniversary."""

from datetime import date

from django.db import migrations
from django.utils import timezone

LEVELS = [  # rank, name, 12-month spend (NT$), 12-month visits: starting values Operations may change
    (1, "一般會員", 0, 0),
    (2, "銀卡", 20_000, 4),
    (3, "金卡", 50_000, 8),
    (4, "白金卡", 100_000, 12),
]


def _anniversary_after(joined: date, today: date) -> date:
    for year in (today.year, today.year + 1):
        try:
            day = joined.replace(year=year)
        except ValueError:
            day = date(year, 2, 28)
        if day > today:
            return day
    raise AssertionError("unreachable")


def forwards(apps, schema_editor):
    Member = apps.get_model("members", "Member")
    TierLevel = apps.get_model("loyalty", "TierLevel")
    PointsAccount = apps.get_model("loyalty", "PointsAccount")
    TierStanding = apps.get_model("loyalty", "TierStanding")
    TierChange = apps.get_model("loyalty", "TierChange")
    now = timezone.now()
    today = timezone.localdate(now)
    levels = {}
    for rank, name, spend, visits in LEVELS:
        levels[rank] = TierLevel.objects.get_or_create(rank=rank, defaults={"name": name, "spend_twd": spend, "visits": visits})[0]
    have = set(PointsAccount.objects.values_list("member_id", flat=True))
    PointsAccount.objects.bulk_create(
        [PointsAccount(member_id=pk, created_at=now) for pk in Member.objects.values_list("pk", flat=True) if pk not in have],
        batch_size=1000,
    )
    standing, changes = [], []
    rows = PointsAccount.objects.filter(standing__isnull=True).values_list("pk", "member__tier", "member__created_at")
    for account_id, rank, created_at in rows.iterator(chunk_size=1000):
        level = levels.get(rank) or levels[1]
        joined = timezone.localdate(created_at) if created_at else today
        standing.append(
            TierStanding(account_id=account_id, tier=level, since=now, review_on=_anniversary_after(joined, today))
        )
        changes.append(TierChange(account_id=account_id, kind="migrated", to_tier=level, created_at=now))
    TierStanding.objects.bulk_create(standing, batch_size=1000)
    TierChange.objects.bulk_create(changes, batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [("loyalty", "0002_tiers")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
