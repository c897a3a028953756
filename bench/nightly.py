"""Nightly jobs at scale on PostgreSQL: 1,000,000 vouchers and 200,000 members.

    .venv/bin/python bench/nightly.py                      # builds vouchers_bench6, then measures
    .venv/bin/python bench/nightly.py --reuse              # measure again on the data already built

It (re)creates its own database (BENCH_DATABASE, default vouchers_bench6), loads the rows with
COPY, clones the database (CREATE DATABASE ... TEMPLATE) so that both expiry runs start from the
same state, then times:

1. the `expire_vouchers` job (Django: set-based batches with row locks and ledger rows), and the
   same expiry as one hand-written SQL statement on the clone; prints both and the ratio;
2. the `send_reminders` job (expiry, unused-value and service reminders written to the outbox),
   and its second run the same night (idempotent: writes nothing).

With `--offers`, service reminders issue a voucher and expiry reminders carry a claim link
(docs/proactive.md), so the runs include the offers (the second run must not read more).

Sending is not measured: at night the messages wait for the end of quiet hours, and the
dispatcher hands them to the workers from 09:00.
"""

import argparse
import os
import random
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DB = os.environ.get("BENCH_DATABASE", "vouchers_bench6")
SERVER = os.environ.get("BENCH_SERVER", "postgres://postgres@127.0.0.1:5432")
os.environ["DATABASE_URL"] = f"{SERVER}/{DB}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ["NOTIFY_QUIET_HOURS"] = "00:00-23:59"  # the job runs at night: nothing is sent meanwhile

import django  # noqa: E402
import psycopg  # noqa: E402

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"


def admin_sql(sql: str) -> None:
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def code(n: int) -> str:
    out = []
    for _ in range(16):
        n, r = divmod(n, 32)
        out.append(CROCKFORD[r])
    return "".join(reversed(out))


def vin(n: int) -> str:
    body = []
    for _ in range(11):
        n, r = divmod(n, len(VIN_CHARS))
        body.append(VIN_CHARS[r])
    return "WBA5R1" + "".join(reversed(body))


def build(members: int, vouchers: int) -> None:
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from members.models import Dealer
    from vehicles.models import VehicleModel
    from vouchers.models import VoucherDefinition

    rng = random.Random(6)
    started = time.monotonic()
    call_command("migrate", verbosity=0)
    now = timezone.now()
    today = timezone.localdate()
    dealers = [Dealer.objects.create(code=f"B{i}", name=f"Bench {i}", city="台北市") for i in range(3)]
    models = [VehicleModel.objects.create(code=f"BM{i}", name=f"Model {i}") for i in range(6)]
    D = VoucherDefinition

    def definition(code_, **kw):
        base = dict(
            name=code_,
            code=code_,
            category=D.Category.WASH,
            status=D.Status.PUBLISHED,
            validity_days=365,
            uses_per_voucher=1,
            face_value_twd=800,
        )
        return D.objects.create(**{**base, **kw})

    wash = definition("b-wash", reminder_days="30,7,1")
    coating = definition("b-coating", category=D.Category.COATING, reminder_days="14,3", face_value_twd=6000)
    pack = definition(
        "b-pack",
        kind=D.Kind.PAID,
        validity_policy=D.ValidityPolicy.NO_EXPIRY,
        uses_per_voucher=5,
        face_value_twd=4000,
        holder_type=D.HolderType.MEMBER,
    )
    maintenance = definition("b-maint", category=D.Category.MAINTENANCE, reminder_days="30")
    vehicles = int(members * 1.1)
    raw = connection.connection
    with raw.cursor() as cur:
        with cur.copy(
            "COPY members_member (phone, name, email, birthday, tier, identity_verified, consent_service,"
            " consent_marketing, preferred_channel, line_user_id, language, created_at) FROM STDIN"
        ) as copy:
            for i in range(members):
                copy.write_row(
                    (
                        f"+8869{10000000 + i:08d}",
                        f"車主{i}",
                        "",
                        date(1960 + i % 40, 1 + i % 12, 1 + i % 28),
                        1 + i % 4,
                        False,
                        rng.random() < 0.9,
                        rng.random() < 0.6,
                        "sms" if i % 10 else "line",
                        f"U{i:032x}" if i % 10 == 0 else "",
                        "en" if i % 10 == 3 else "zh-hant",
                        now,
                    )
                )
        cur.execute("SELECT min(id) FROM members_member")
        first_member = cur.fetchone()[0]
        with cur.copy(
            "COPY vehicles_vehicle (vin, vin_check_digit_ok, plate, plate_key, colour, delivery_date,"
            " last_mileage_km, last_mileage_at, last_visit_at, created_at, selling_dealer_id, model_id,"
            " registered_owner_phone)"
            " FROM STDIN"
        ) as copy:
            for i in range(vehicles):
                delivered = today - timedelta(days=rng.randint(10, 6 * 365))
                plate = f"B{i:07d}"
                visit = now - timedelta(days=rng.randint(1, 400))
                copy.write_row(
                    (
                        vin(i),
                        True,
                        plate,
                        plate,
                        "",
                        delivered,
                        0,
                        None,
                        visit,
                        now,
                        dealers[i % 3].pk,
                        models[i % 6].pk,
                        "",
                    )
                )
        cur.execute("SELECT id, delivery_date FROM vehicles_vehicle ORDER BY id")
        cars = cur.fetchall()
        with cur.copy(
            "COPY vehicles_ownership (started_at, ended_at, is_first_owner, member_id, vehicle_id) FROM STDIN"
        ) as copy:
            for n, (vehicle_id, _d) in enumerate(cars):
                copy.write_row(
                    (now - timedelta(days=400), None, True, first_member + n % members, vehicle_id)
                )
        with cur.copy(
            "COPY vehicles_mileagereading (km, recorded_at, source, vehicle_id, odometer_replaced,"
            " replacement_reason, actor_label) FROM STDIN"
        ) as copy:
            for vehicle_id, delivered in cars:
                days = (today - delivered).days
                rate = rng.uniform(15, 80)
                for back in (days // 2, 5):
                    copy.write_row(
                        (
                            int(rate * (days - back)),
                            now - timedelta(days=back),
                            "bench",
                            vehicle_id,
                            False,
                            "",
                            "bench",
                        )
                    )
        # Vouchers: 10% past validity and not yet swept, 4% expiring within 30 days, 20% paid packs
        # without expiry (some unused for long), the rest valid for months.
        with cur.copy(
            "COPY vouchers_voucher (code, status, uses_total, uses_left, valid_from, valid_until,"
            " series_index, source, external_ref, issued_at, activated_at, status_changed_at,"
            " definition_id, member_id, vehicle_id, amount_paid_twd) FROM STDIN"
        ) as copy:
            for i in range(vouchers):
                kind = i % 50
                vehicle_id = cars[i % len(cars)][0]
                member_id = None
                uses = 1
                if kind < 5:  # due to expire
                    definition_ = wash
                    issued = now - timedelta(days=rng.randint(370, 700))
                    until = now - timedelta(days=rng.randint(1, 5))
                elif kind < 7:
                    definition_ = coating if kind == 5 else wash
                    issued = now - timedelta(days=rng.randint(60, 300))
                    until = now + timedelta(days=rng.randint(0, 30))
                elif kind < 17:
                    definition_, uses, until = pack, 5, None
                    issued = now - timedelta(days=rng.randint(30, 900))
                    member_id, vehicle_id = first_member + i % members, None
                else:
                    definition_ = maintenance if kind % 7 == 0 else wash
                    issued = now - timedelta(days=rng.randint(1, 200))
                    until = now + timedelta(days=rng.randint(40, 500))
                copy.write_row(
                    (
                        code(i * 7919 + 104729),
                        "active",
                        uses,
                        uses,
                        issued,
                        until,
                        0,
                        "bulk",
                        "",
                        issued,
                        issued,
                        issued,
                        definition_.pk,
                        member_id,
                        vehicle_id,
                        0,
                    )
                )
        cur.execute(
            "INSERT INTO vouchers_ledgerentry (voucher_id, kind, delta, status_before, status_after,"
            " uses_left_after, actor_label, reason, data, created_at)"
            " SELECT id, 'issued', uses_total, '', status, uses_left, 'bench', '', '{}'::jsonb, issued_at"
            " FROM vouchers_voucher"
        )
    raw.commit()
    with psycopg.connect(f"{SERVER}/{DB}", autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    print(
        f"built {members:,} members, {vehicles:,} vehicles, {vouchers:,} vouchers (+ledger, readings) "
        f"in {time.monotonic() - started:.0f} s"
    )


HAND_WRITTEN_EXPIRY = """
WITH due AS (
    SELECT id, status, uses_left FROM vouchers_voucher
    WHERE status IN ('active', 'inactive') AND valid_until < %(now)s
    FOR UPDATE
), changed AS (
    UPDATE vouchers_voucher v SET status = 'expired', status_changed_at = %(now)s
    FROM due WHERE v.id = due.id
)
INSERT INTO vouchers_ledgerentry
    (voucher_id, kind, delta, status_before, status_after, uses_left_after,
     actor_label, reason, data, created_at)
SELECT id, 'expired', 0, status, 'expired', uses_left, 'system:expire', '', '{}'::jsonb, %(now)s FROM due
"""


def offers_configure() -> None:
    """Service reminders issue a voucher to the car; expiry reminders link a claimable definition."""
    from campaigns.models import OfferMode, ReminderOffer
    from vouchers.models import VoucherDefinition as D

    gift, _ = D.objects.get_or_create(
        code="b-offer-wash",
        defaults=dict(
            name="b-offer-wash",
            status=D.Status.PUBLISHED,
            validity_days=60,
            channel_manual=True,
            face_value_twd=0,
        ),
    )
    claim, _ = D.objects.get_or_create(
        code="b-offer-claim",
        defaults=dict(
            name="b-offer-claim",
            status=D.Status.PUBLISHED,
            validity_days=60,
            channel_claim=True,
            holder_type=D.HolderType.MEMBER,
        ),
    )
    ReminderOffer.objects.get_or_create(
        name="bench service offer", reminder="service_reminder", definition=gift
    )
    ReminderOffer.objects.get_or_create(
        name="bench expiry offer", reminder="expiry_reminder", definition=claim, mode=OfferMode.CLAIM
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--members", type=int, default=200_000)
    parser.add_argument("--vouchers", type=int, default=1_000_000)
    parser.add_argument("--reuse", action="store_true", help="keep the data built by an earlier run")
    parser.add_argument("--offers", action="store_true", help="reminders carry offers (docs/proactive.md)")
    args = parser.parse_args()
    clone = f"{DB}_sql"
    if not args.reuse:
        admin_sql(f"DROP DATABASE IF EXISTS {DB}")
        admin_sql(f"CREATE DATABASE {DB}")
    django.setup()
    from django.db import connection
    from django.utils import timezone

    from campaigns.jobs import job_run
    from campaigns.models import Notification
    from vouchers.models import Voucher

    if not args.reuse:
        build(args.members, args.vouchers)
    else:
        from campaigns.models import JobRun

        JobRun.objects.all().delete()
    connection.close()
    admin_sql(f"DROP DATABASE IF EXISTS {clone}")
    admin_sql(f"CREATE DATABASE {clone} TEMPLATE {DB}")
    total = Voucher.objects.count()
    due = Voucher.objects.filter(status__in=["active", "inactive"], valid_until__lt=timezone.now()).count()
    print(f"database {DB}: {total:,} vouchers, {due:,} past validity")

    started = time.monotonic()
    run = job_run("expire_vouchers")
    t_job = time.monotonic() - started
    print(
        f"expire_vouchers job (Django, batches of 2,000): {t_job:8.2f} s  expired {run.result['expired']:,}"
    )

    with psycopg.connect(f"{SERVER}/{clone}") as conn:
        started = time.monotonic()
        cur = conn.execute(HAND_WRITTEN_EXPIRY, {"now": datetime.now().astimezone()})
        expired_sql = cur.rowcount
        conn.commit()
        t_sql = time.monotonic() - started
    print(f"hand-written set-based SQL (one statement):    {t_sql:8.2f} s  expired {expired_sql:,}")
    print(f"ratio job / SQL: {t_job / t_sql:.2f}x")
    admin_sql(f"DROP DATABASE IF EXISTS {clone}")

    if args.offers:
        offers_configure()
    started = time.monotonic()
    run = job_run("send_reminders")
    t_rem = time.monotonic() - started
    written = Notification.objects.count()
    print(f"send_reminders job: {t_rem:8.2f} s  {run.result}  ({written:,} outbox rows)")
    started = time.monotonic()
    job_run("send_reminders")  # the same night again (the run above is done: a new run)
    t_again = time.monotonic() - started
    print(
        f"send_reminders again, same night: {t_again:8.2f} s  "
        f"new rows: {Notification.objects.count() - written}"
    )
    print(f"ratio second run / first run: {t_again / t_rem:.2f}")


if __name__ == "__main__":
    main()
