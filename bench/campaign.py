"""A campaign to N owners on PostgreSQL: one voucher per vehicle and one message per owner.

    .venv/bin/python bench/campaign.py --owners 200000          # builds vouchers_bench_campaign, measures
    .venv/bin/python bench/campaign.py --owners 200000 --reuse  # measures again on the data built

It builds (COPY) N owners, each with a car (every 50th owner has a second one), in its own database
(BENCH_DATABASE, default vouchers_bench_campaign; kept as <name>_base so `--reuse` starts from the same
state), with the mix a real audience has: 10 % without marketing consent, 1 % erased (no address,
no consent), 2 % already at the weekly cap of promotional messages, owners writing in English and
owners on LINE or e-mail. The campaign issues a vehicle-held voucher to every car and a message to
every owner; its budget runs out 1,000 vehicles before the end.

It times `campaigns_run_due` (freeze the audience, serve every recipient, complete), counts its SQL
statements, and checks the outcome exactly against the figures the build implies: recipients done
and skipped, vouchers, ISSUED ledger entries, campaign vouchers, budget used, stock left, messages
queued and skipped, and that no vehicle got two vouchers. Messages are not sent (the dispatcher
does that); the task queue is stubbed so that only the campaign's own work is measured.
Not part of the test suite.
"""

import argparse
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DB = os.environ.get("BENCH_DATABASE", "vouchers_bench_campaign")
SERVER = os.environ.get("BENCH_SERVER", "postgres://postgres@127.0.0.1:5432")
os.environ["DATABASE_URL"] = f"{SERVER}/{DB}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402
import psycopg  # noqa: E402

FACE_VALUE = 300
BUDGET_SHORT_BY = 1000  # vehicles the budget does not reach
STOCK_SPARE = 300  # stock left over beyond the whole audience


def admin_sql(sql: str) -> None:
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def owner_kind(i: int) -> dict:
    """The owner mix, by index (deterministic, so the expected outcome can be computed)."""
    erased = i % 100 == 7
    return {
        "erased": erased,
        "consent": not erased and i % 10 != 3,
        "capped": not erased and i % 50 == 11,
        "english": i % 5 == 1,
        "channel": ("sms", "sms", "line", "email")[i % 4],
        "second_car": i % 50 == 0,
    }


def build(owners: int) -> None:
    from django.core.management import call_command
    from django.utils import timezone

    from campaigns.models import Notification
    from config.bulk_insert import objects_insert
    from members.models import Dealer, Member
    from vehicles.models import Ownership, Vehicle, VehicleModel

    call_command("migrate", verbosity=0)
    now = timezone.now()
    dealer = Dealer.objects.create(code="BENCH", name="Bench", city="台北市")
    model = VehicleModel.objects.create(code="BX", name="Bench X")
    members = []
    for i in range(owners):
        kind = owner_kind(i)
        members.append(
            Member(
                phone="" if kind["erased"] else f"+8869{i:08d}",
                name=f"已刪除 {i}" if kind["erased"] else f"車主{i}",
                email="" if kind["erased"] else f"owner{i}@example.com",
                consent_marketing=kind["consent"],
                consent_service=not kind["erased"],
                preferred_channel=kind["channel"],
                line_user_id="" if kind["erased"] else f"U{i:032x}",
                language="en" if kind["english"] else "zh-hant",
                erased_at=now if kind["erased"] else None,
                created_at=now,
            )
        )
    objects_insert(members)
    vehicles, owner_of = [], []
    for i, member in enumerate(members):
        for car in range(2 if owner_kind(i)["second_car"] else 1):
            n = len(vehicles)
            vehicles.append(
                Vehicle(
                    vin=f"WBA5R1C0{n:09d}",
                    plate=f"BX-{n:06d}"[:10],
                    plate_key=f"BX{n:06d}",
                    model=model,
                    selling_dealer=dealer,
                    delivery_date=(now - timedelta(days=400 + car)).date(),
                    created_at=now,
                )
            )
            owner_of.append(member)
    objects_insert(vehicles)
    objects_insert(
        [
            Ownership(vehicle=v, member=m, started_at=now - timedelta(days=400), is_first_owner=True)
            for v, m in zip(vehicles, owner_of, strict=True)
        ]
    )
    earlier = []
    for i, member in enumerate(members):
        if owner_kind(i)["capped"]:
            for k in range(2):  # the weekly cap (2) already reached this week
                earlier.append(
                    Notification(
                        member=member,
                        channel="sms",
                        recipient=member.phone,
                        purpose=Notification.Purpose.CAMPAIGN,
                        body="earlier offer",
                        promotional=True,
                        dedup_key=f"earlier:{member.pk}:{k}",
                        status=Notification.Status.SENT,
                        sent_at=now - timedelta(days=2),
                        created_at=now - timedelta(days=2),
                        not_before=now - timedelta(days=2),
                    )
                )
    objects_insert(earlier)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def expected(owners: int) -> dict:
    """What the campaign must do, computed from the build's rules (recipients in vehicle order)."""
    vehicles = sum(2 if owner_kind(i)["second_car"] else 1 for i in range(owners))
    issued = vehicles - BUDGET_SHORT_BY
    messaged, pending = set(), 0
    served = 0
    for i in range(owners):
        for _car in range(2 if owner_kind(i)["second_car"] else 1):
            if served < issued and i not in messaged:
                messaged.add(i)
                kind = owner_kind(i)
                pending += kind["consent"] and not kind["capped"]
            served += 1
    return {
        "vehicles": vehicles,
        "issued": issued,
        "messages": len(messaged),
        "pending": pending,
        "skipped_messages": len(messaged) - pending,
    }


def measure(owners: int, profile: bool, args_sql: bool = False) -> None:
    from django.db import connection
    from django.utils import timezone

    import campaigns.services.campaign_send as campaign_send
    import campaigns.services.outbox as outbox
    from campaigns.models import Campaign, CampaignRecipient, CampaignVoucher, Notification, Segment
    from campaigns.services import campaign_schedule, campaigns_run_due
    from vouchers.models import LedgerEntry, Voucher, VoucherDefinition

    outbox.async_task = lambda *a, **k: None  # no worker here: only the campaign's own work is timed
    want = expected(owners)
    definition = VoucherDefinition.objects.create(
        name="Bench wash",
        code="bench-campaign-wash",
        category=VoucherDefinition.Category.WASH,
        holder_type=VoucherDefinition.HolderType.VEHICLE,
        validity_policy=VoucherDefinition.ValidityPolicy.DAYS_FROM_ISSUE,
        validity_days=90,
        face_value_twd=FACE_VALUE,
        status=VoucherDefinition.Status.PUBLISHED,
        channel_event=True,
        stock_total=want["vehicles"] + STOCK_SPARE,
    )
    budget = want["issued"] * FACE_VALUE
    campaign = Campaign.objects.create(
        name="秋季洗車",
        segment=Segment.objects.create(name="everyone"),
        definition=definition,
        budget_twd=budget,
        message_zh_hant="{{ name }} 您好，{{ plate }} 秋季洗車優惠",
        message_en="Hello {{ name }}, autumn wash for {{ plate }}",
    )
    campaign_schedule(campaign=campaign)

    statements = 0
    by_statement: dict[str, list] = {}

    def count(execute, sql, params, many, context):
        nonlocal statements
        statements += 1
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent = by_statement.setdefault(" ".join(sql.split())[:90], [0, 0.0])
            spent[0] += 1
            spent[1] += time.perf_counter() - started

    if args_sql:  # COPY and COMMIT do not pass through the execute wrapper: time them here
        import config.bulk_insert
        from campaigns.services import notify
        from vouchers.services import set_issue

        def timed(label, function):
            def wrapper(*args, **kwargs):
                started = time.perf_counter()
                try:
                    return function(*args, **kwargs)
                finally:
                    spent = by_statement.setdefault(label(*args), [0, 0.0])
                    spent[0] += 1
                    spent[1] += time.perf_counter() - started

            return wrapper

        copy = timed(
            lambda model, *a: f"COPY {model._meta.db_table} (incl. building the rows)",
            config.bulk_insert.rows_insert,
        )
        for module in (set_issue, notify, campaign_send):
            module.rows_insert = copy
        connection.commit = timed(lambda: "COMMIT (deferred foreign-key checks)", connection.commit)

    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    with connection.execute_wrapper(count):
        started, cpu = time.perf_counter(), time.process_time()
        served, more = campaigns_run_due(now=timezone.now())
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    if profiler is not None:
        import pstats

        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(35)

    campaign.refresh_from_db()
    definition.refresh_from_db()
    recipients = CampaignRecipient.objects.filter(campaign=campaign)
    vouchers = Voucher.objects.filter(definition=definition, source=Voucher.Source.CAMPAIGN)
    notes = Notification.objects.filter(campaign=campaign)
    got = {
        "status": campaign.status,
        "served": served,
        "recipients": recipients.count(),
        "done": recipients.filter(status="done").count(),
        "skipped": recipients.filter(status="skipped").count(),
        "vouchers": vouchers.count(),
        "vehicles with a voucher": vouchers.values("vehicle_id").distinct().count(),
        "ISSUED ledger entries": LedgerEntry.objects.filter(
            voucher__definition=definition, kind=LedgerEntry.Kind.ISSUED
        ).count(),
        "campaign vouchers": CampaignVoucher.objects.filter(campaign=campaign).count(),
        "spent": campaign.spent_twd,
        "stock left": definition.stock_left,
        "messages": notes.count(),
        "messages pending": notes.filter(status="pending").count(),
        "messages skipped": notes.filter(status="skipped").count(),
        "done without a message": recipients.filter(status="done", notification__isnull=True).count(),
    }
    wanted = {
        "status": Campaign.Status.COMPLETED,
        "served": want["vehicles"],
        "recipients": want["vehicles"],
        "done": want["issued"],
        "skipped": BUDGET_SHORT_BY,
        "vouchers": want["issued"],
        "vehicles with a voucher": want["issued"],
        "ISSUED ledger entries": want["issued"],
        "campaign vouchers": want["issued"],
        "spent": budget,
        "stock left": STOCK_SPARE + BUDGET_SHORT_BY,
        "messages": want["messages"],
        "messages pending": want["pending"],
        "messages skipped": want["skipped_messages"],
        "done without a message": 0,
    }
    print(f"PostgreSQL {connection.pg_version // 10000}, {owners:,} owners, {want['vehicles']:,} vehicles")
    print(f"  campaign run            {seconds:8.2f} s  {want['vehicles'] / seconds:>10,.0f} recipients/s")
    print(f"  of which this process   {cpu:8.2f} s CPU (the rest: PostgreSQL, and waiting for a core)")
    print(f"  SQL statements          {statements:8,}    {statements / want['vehicles']:10.3f} per recipient")
    print(f"  unfinished              {more!r}")
    if args_sql:
        print("  statements taking the most time (count, seconds):")
        for sql, (n, spent) in sorted(by_statement.items(), key=lambda kv: -kv[1][1])[:12]:
            print(f"    {n:5} {spent:7.2f} s  {sql}")
    bad = {k: (got[k], wanted[k]) for k in wanted if got[k] != wanted[k]}
    for key in wanted:
        print(f"  {key:24} {got[key]!s:>12}  {'ok' if key not in bad else 'WANTED ' + str(wanted[key])}")
    if bad:
        print(f"MISMATCH: {bad}", file=sys.stderr)
        raise SystemExit(1)
    print("  checked: every figure exact")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--owners", type=int, default=200_000)
    parser.add_argument("--reuse", action="store_true", help=f"start again from {DB}_base")
    parser.add_argument("--profile", action="store_true", help="print where the run spends its time")
    parser.add_argument("--sql", action="store_true", help="print the statements that took the most time")
    args = parser.parse_args()
    if args.owners <= BUDGET_SHORT_BY * 2:
        parser.error(f"--owners must be above {BUDGET_SHORT_BY * 2}")
    if not args.reuse:
        admin_sql(f'DROP DATABASE IF EXISTS "{DB}_base" WITH (FORCE)')
        admin_sql(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
        admin_sql(f'CREATE DATABASE "{DB}"')
        django.setup()
        started = time.perf_counter()
        build(args.owners)
        print(f"  build (not measured)    {time.perf_counter() - started:8.1f} s")
        from django.db import connection

        connection.close()
        admin_sql(f'CREATE DATABASE "{DB}_base" TEMPLATE "{DB}"')
    else:
        admin_sql(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
        admin_sql(f'CREATE DATABASE "{DB}" TEMPLATE "{DB}_base"')
        django.setup()
    measure(args.owners, args.profile, args.sql)
    return 0


if __name__ == "__main__":
    sys.exit(main())
