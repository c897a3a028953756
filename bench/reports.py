"""Report pages and exports at scale on PostgreSQL: 1,000,000 vouchers, 5,000,000 ledger rows,
200,000 vehicles (issue 12: every page and export within 2 s).

    .venv/bin/python bench/reports.py            # builds vouchers_bench_reports, rebuilds the facts, measures
    .venv/bin/python bench/reports.py --reuse    # measure again on the data already built
    .venv/bin/python bench/reports.py --scale 0.01   # a quick check at 1 % of the size

The data is written by the database itself (INSERT … SELECT generate_series: faster than COPY from
Python for rows this regular), then `rebuild_report_facts` fills the summary tables (timed), then every
registered report's page (as Operations, all dealers, and as a dealer manager) and its CSV and XLSX
export are fetched through the Django test client, each `REPEAT` times; the best and worst times are
printed with the ratio to the 2 s target. Reports registered by other apps (finance) are measured
the same way: the registry is `reports.registry.all_reports()`. Extra measurements (a command, say)
go in `EXTRA_TIMINGS` (label, callable), and extra data in `EXTRA_BUILDERS` (callables given a psycopg
cursor after the base data is in).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DB = os.environ.get("BENCH_DATABASE", "vouchers_bench_reports")
SERVER = os.environ.get("BENCH_SERVER", "postgres://postgres@127.0.0.1:5432")
os.environ["DATABASE_URL"] = f"{SERVER}/{DB}"
os.environ.pop("DATABASE_REPLICA_URL", None)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("LOG_LEVEL", "INFO")  # the facts rebuild logs each step's time

import django  # noqa: E402
import psycopg  # noqa: E402

VOUCHERS = 1_000_000
LEDGER = 5_000_000
VEHICLES = 200_000
MEMBERS = 150_000
ORDERS = 200_000
VISITS = 600_000
NOTIFICATIONS = 100_000
DEALERS = 20
REPEAT = 3
TARGET_SECONDS = 2.0
EXTRA_BUILDERS: list = []
EXTRA_TIMINGS: list = []

# Categories in the order of VoucherDefinition.Category; a complimentary and a paid definition each.
CATEGORIES = ["wash", "detailing", "coating", "interior", "tyre", "maintenance", "other"]

BUILD_SQL = [
    # Dealers, models, definitions (two per category: complimentary and paid), three event definitions,
    # four packs.
    f"""INSERT INTO members_dealer (code, name, city, address, phone, is_active)
        SELECT 'BD' || i, '測試服務廠 ' || i, '台北市', '', '', true FROM generate_series(1, {DEALERS}) i""",
    """INSERT INTO vehicles_vehiclemodel (code, name, service_interval_km, service_interval_months)
        SELECT 'BM' || i, 'Model ' || i, 10000, 12 FROM generate_series(1, 8) i""",
    # Members, vehicles.
    f"""INSERT INTO members_member (phone, name, email, tier, identity_verified, consent_service,
        consent_marketing, preferred_channel, line_user_id, language, created_at)
        SELECT '+8869' || lpad(i::text, 8, '0'), '車主' || i, '', 1, false, true, true, 'sms', '',
        'zh-hant', now() - interval '3 years' FROM generate_series(1, {MEMBERS}) i""",
    f"""INSERT INTO vehicles_vehicle (vin, vin_check_digit_ok, plate, plate_key, colour, delivery_date,
        last_mileage_km, created_at, model_id, selling_dealer_id, registered_owner_phone)
        SELECT 'WBA5R1' || lpad(i::text, 11, '0'), true, 'B' || lpad(i::text, 7, '0'),
        'B' || lpad(i::text, 7, '0'), '', current_date - ((i * 7919) % 2190), 0, now() - interval '6 years',
        (SELECT min(id) FROM vehicles_vehiclemodel) + i % 8,
        (SELECT min(id) FROM members_dealer) + i % {DEALERS}, ''
        FROM generate_series(1, {VEHICLES}) i""",
    # Orders: two in three are packs, one in three a single paid voucher; channels 6:2:1:1.
    f"""INSERT INTO vouchers_order (number, member_id, vehicle_id, bundle_id, definition_id, quantity,
        unit_price_twd, amount_twd, channel, dealer_id, status, created_at, paid_at, issued_at)
        SELECT 'B' || i, m.first + i % {MEMBERS}, v.first + i % {VEHICLES},
        CASE WHEN i % 3 <> 0 THEN b.first + i % 4 END,
        CASE WHEN i % 3 = 0 THEN d.paid_first + 2 * (i % 7) END,
        1, 2000 + 500 * (i % 4), 2000 + 500 * (i % 4),
        CASE WHEN i % 10 < 6 THEN 'online' WHEN i % 10 < 8 THEN 'counter'
             WHEN i % 10 = 8 THEN 'phone' ELSE 'api' END,
        CASE WHEN i % 10 BETWEEN 6 AND 7 THEN dl.first + i % {DEALERS} END,
        'issued', t, t, t
        FROM generate_series(1, {ORDERS}) i,
        LATERAL (SELECT now() - ((i * 37) % 1000) * interval '1 day'
                        - (i % 86400) * interval '1 second' AS t) tt,
        (SELECT min(id) first FROM members_member) m, (SELECT min(id) first FROM vehicles_vehicle) v,
        (SELECT min(id) first FROM vouchers_bundle) b,
        (SELECT min(id) + 1 paid_first FROM vouchers_voucherdefinition WHERE code LIKE 'b-%%') d,
        (SELECT min(id) first FROM members_dealer) dl""",
]


def admin_sql(sql: str) -> None:
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def build() -> None:
    from django.core.management import call_command

    from vouchers.models import Bundle, BundleItem, VoucherDefinition

    started = time.monotonic()
    admin_sql(f'DROP DATABASE IF EXISTS "{DB}"')
    admin_sql(f'CREATE DATABASE "{DB}"')
    call_command("migrate", verbosity=0)
    D = VoucherDefinition
    definitions = []
    for category in CATEGORIES:
        for kind in (D.Kind.COMPLIMENTARY, D.Kind.PAID):
            definitions.append(
                D.objects.create(
                    name=f"{category} {kind}",
                    code=f"b-{category}-{kind}",
                    kind=kind,
                    category=category,
                    status=D.Status.PUBLISHED,
                    uses_per_voucher=5 if kind == D.Kind.PAID else 1,
                    validity_policy=D.ValidityPolicy.NO_EXPIRY
                    if kind == D.Kind.PAID
                    else D.ValidityPolicy.DAYS_FROM_ISSUE,
                    validity_days=None if kind == D.Kind.PAID else 365,
                    face_value_twd=2000,
                )
            )
    for event in ("no_visit", "birthday", "vehicle_delivered"):
        D.objects.create(
            name=f"event {event}",
            code=f"e-{event.replace('_', '-')}",
            category="wash",
            status=D.Status.PUBLISHED,
            trigger_event=event,
            channel_event=True,
            validity_days=180,
        )
    for i in range(4):
        bundle = Bundle.objects.create(code=f"b-pack-{i}", name=f"測試套票 {i}", price_twd=2000 + 500 * i)
        BundleItem.objects.create(bundle=bundle, definition=definitions[2 * i + 1], quantity=1)
    with psycopg.connect(f"{SERVER}/{DB}", autocommit=True) as conn:
        for sql in BUILD_SQL:
            conn.execute(sql)
        _vouchers(conn)
        _ledger_and_redemptions(conn)
        _visits_messages_campaigns(conn)
        for builder in EXTRA_BUILDERS:
            with conn.cursor() as cur:
                builder(cur)
        conn.execute("VACUUM ANALYZE")
        counts = {
            t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in (
                "vouchers_voucher",
                "vouchers_ledgerentry",
                "vehicles_vehicle",
                "redemption_redemption",
                "vehicles_visit",
                "vouchers_order",
            )
        }
    print(
        "built", ", ".join(f"{t}={n:,}" for t, n in counts.items()), f"in {time.monotonic() - started:.0f} s"
    )


def _vouchers(conn) -> None:
    # 400,000 order vouchers (two per order, five uses each, between none and all used), 150,000
    # campaign vouchers, 150,000 event vouchers, 300,000 bulk-issued ones (one use, half used).
    order_vouchers = 2 * ORDERS
    conn.execute(
        f"""INSERT INTO vouchers_voucher (code, definition_id, member_id, vehicle_id, order_id, status,
        amount_paid_twd, uses_total, uses_left, series_index, source, external_ref, issued_at, activated_at,
        status_changed_at)
        SELECT 'BV' || lpad(i::text, 12, '0'), COALESCE(o.definition_id, bi.definition_id), o.member_id,
        o.vehicle_id, o.id, CASE WHEN left_ = 0 THEN 'used' ELSE 'active' END, o.amount_twd / 2, 5, left_, 0,
        'bundle', '', o.paid_at, o.paid_at, o.paid_at
        FROM generate_series(0, {order_vouchers - 1}) i
        JOIN vouchers_order o ON o.id = (SELECT min(id) FROM vouchers_order) + i / 2
        LEFT JOIN vouchers_bundleitem bi ON bi.bundle_id = o.bundle_id,
        LATERAL (SELECT CASE WHEN i % 4 = 0 THEN 5 ELSE (i * 13) % 6 END AS left_) l"""
    )
    rest = VOUCHERS - order_vouchers
    conn.execute(
        f"""INSERT INTO vouchers_voucher (code, definition_id, vehicle_id, status, amount_paid_twd,
        uses_total,
        uses_left, series_index, source, external_ref, issued_at, activated_at, status_changed_at)
        SELECT 'BW' || lpad(i::text, 12, '0'),
        CASE WHEN src = 'event' THEN ev.first + i % 3 ELSE d.first + 2 * (i % 7) END,
        v.first + (i * 7) % {VEHICLES}, CASE WHEN i % 2 = 0 THEN 'used' ELSE 'active' END, 0, 1,
        CASE WHEN i % 2 = 0 THEN 0 ELSE 1 END, 0, src, '', t, CASE WHEN i % 5 <> 1 THEN t END, t
        FROM generate_series(1, {rest}) i,
        LATERAL (SELECT CASE WHEN i % 6 = 0 THEN 'campaign' WHEN i % 6 = 1 THEN 'event' ELSE 'bulk' END
                        AS src,
                        now() - ((i * 31) % 1000) * interval '1 day' AS t) s,
        (SELECT min(id) first FROM vehicles_vehicle) v,
        (SELECT min(id) first FROM vouchers_voucherdefinition WHERE code LIKE 'b-%%') d,
        (SELECT min(id) first FROM vouchers_voucherdefinition WHERE code LIKE 'e-%%') ev"""
    )
    # Vouchers must be open with a use left unless used.
    conn.execute(
        "UPDATE vouchers_voucher SET status = 'inactive' WHERE activated_at IS NULL AND status = 'active'"
    )
    conn.execute(
        "UPDATE vouchers_voucher SET activated_at = issued_at WHERE status = 'used' AND activated_at IS NULL"
    )


def _ledger_and_redemptions(conn) -> None:
    conn.execute(
        """INSERT INTO vouchers_ledgerentry (voucher_id, kind, delta, status_before, status_after,
        uses_left_after, actor_label, reason, data, created_at)
        SELECT id, 'issued', uses_total, '', 'inactive', uses_total, 'bench', '', '{}'::jsonb,
        issued_at FROM vouchers_voucher
        UNION ALL
        SELECT id, 'activated', 0, 'inactive', 'active', uses_total, 'bench', '', '{}'::jsonb, activated_at
        FROM vouchers_voucher WHERE activated_at IS NOT NULL"""
    )
    # One redeemed entry per use consumed, k days after issue (k grows with the use number).
    conn.execute(
        """INSERT INTO vouchers_ledgerentry (voucher_id, kind, delta, status_before, status_after,
        uses_left_after, actor_label, reason, data, created_at)
        SELECT v.id, 'redeemed', -1, 'active',
        CASE WHEN n = v.uses_total - v.uses_left THEN v.status ELSE 'active' END,
        v.uses_total - n, 'bench', '', '{}'::jsonb,
        LEAST(now() - interval '1 hour', v.activated_at + (n * 20 + v.id % 40) * interval '1 day')
        FROM vouchers_voucher v, generate_series(1, v.uses_total - v.uses_left) n"""
    )
    done = conn.execute("SELECT count(*) FROM vouchers_ledgerentry").fetchone()[0]
    pairs = max(0, (LEDGER - done) // 2)
    # Holds started and released at the counter fill the ledger to its size (they move no use).
    conn.execute(
        f"""INSERT INTO vouchers_ledgerentry (voucher_id, kind, delta, status_before, status_after,
        uses_left_after, actor_label, reason, data, created_at)
        SELECT v.first + (i * 7) % {VOUCHERS}, k, 0, 'active', 'active', 1, 'bench', '', '{{}}'::jsonb,
        now() - ((i * 17) % 900) * interval '1 day'
        FROM generate_series(1, {pairs}) i, (VALUES ('held'), ('hold_released')) kinds(k),
        (SELECT min(id) first FROM vouchers_voucher) v"""
    )
    conn.execute(
        f"""INSERT INTO redemption_redemption (voucher_id, vehicle_id, dealer_id, channel, actor_label,
        status,
        work_order, idempotency_key, started_at, completed_at, reversal_reason, redeemed_entry_id)
        SELECT e.voucher_id, v.vehicle_id, d.first + v.vehicle_id % {DEALERS}, 'counter', 'bench',
        'completed', '',
        'b' || e.id, e.created_at, e.created_at, '', e.id
        FROM vouchers_ledgerentry e JOIN vouchers_voucher v ON v.id = e.voucher_id,
        (SELECT min(id) first FROM members_dealer) d
        WHERE e.kind = 'redeemed' AND v.vehicle_id IS NOT NULL"""
    )


def _visits_messages_campaigns(conn) -> None:
    conn.execute(
        f"""INSERT INTO vehicles_visit (vehicle_id, dealer_id, visited_on, repair_order, kind,
        odometer_replaced,
        source, created_at)
        SELECT v.first + (i * 11) % {VEHICLES}, d.first + i % {DEALERS}, current_date - (i * 13) % 1100,
        'RO' || i, CASE WHEN i % 3 = 0 THEN 'maintenance' ELSE 'repair' END, false, 'import', now()
        FROM generate_series(1, {VISITS}) i, (SELECT min(id) first FROM vehicles_vehicle) v,
        (SELECT min(id) first FROM members_dealer) d"""
    )
    conn.execute(
        """INSERT INTO campaigns_segment (name, description, cities, has_voucher_category,
        lacks_voucher_category,
        consent, created_at) VALUES ('bench', '', '', '', '', 'any', now())"""
    )
    conn.execute(
        """INSERT INTO campaigns_campaign (name, description, send_message, message_zh_hant, message_en,
        subject_zh_hant, subject_en, channel, spent_twd, status, created_at, segment_id)
        SELECT '測試活動 ' || i, '', true, '', '', '', '', 'sms', 0, 'completed', now(),
        (SELECT min(id) FROM campaigns_segment) FROM generate_series(1, 6) i"""
    )
    conn.execute(
        """INSERT INTO campaigns_campaignrecipient (campaign_id, vehicle_id, member_id, status, reason)
        SELECT c.first + v.id % 6, v.vehicle_id, m.first, 'done', ''
        FROM vouchers_voucher v, (SELECT min(id) first FROM campaigns_campaign) c,
        (SELECT min(id) first FROM members_member) m
        WHERE v.source = 'campaign'"""
    )
    conn.execute(
        """INSERT INTO campaigns_campaignvoucher (campaign_id, recipient_id, voucher_id, series_index)
        SELECT r.campaign_id, r.id, v.id, row_number() OVER (PARTITION BY r.id ORDER BY v.id) - 1
        FROM campaigns_campaignrecipient r
        JOIN vouchers_voucher v ON v.vehicle_id = r.vehicle_id AND v.source = 'campaign'
        AND r.campaign_id = (SELECT min(id) FROM campaigns_campaign) + v.id % 6"""
    )
    conn.execute(
        f"""INSERT INTO campaigns_notification (member_id, channel, recipient, purpose, template_key,
        language,
        subject, body, promotional, dedup_key, status, attempts, last_error, not_before, created_at, sent_at,
        retry_key, provider_message_id, skip_reason, campaign_id)
        SELECT m.first + i % {MEMBERS}, 'sms', '+886900000000',
        CASE WHEN i % 2 = 0 THEN 'campaign' ELSE 'lifecycle' END,
        CASE WHEN i % 2 = 0 THEN '' ELSE 'new_car_care' END, 'zh-hant', '', 'bench', true,
        CASE WHEN i % 2 = 0 THEN 'bench:' || i ELSE 'care:' || (v.first + (i * 3) % {VEHICLES}) || ':30' END,
        'sent', 1, '', t, t, t, gen_random_uuid(), '', '', CASE WHEN i % 2 = 0 THEN c.first + i % 6 END
        FROM generate_series(1, {NOTIFICATIONS}) i,
        LATERAL (SELECT now() - ((i * 7) % 900) * interval '1 day' AS t) tt,
        (SELECT min(id) first FROM members_member) m, (SELECT min(id) first FROM vehicles_vehicle) v,
        (SELECT min(id) first FROM campaigns_campaign) c"""
    )
    conn.execute(
        f"""INSERT INTO campaigns_eventissuance (key, definition_id, event, vehicle_id, status, reason,
        vouchers_issued, created_at)
        SELECT 'bench-winback:' || i,
        (SELECT min(id) FROM vouchers_voucherdefinition WHERE code = 'e-no-visit'),
        'no_visit', v.first + (i * 5) % {VEHICLES}, 'issued', '', 1,
        now() - ((i * 3) % 900) * interval '1 day'
        FROM generate_series(1, 20000) i, (SELECT min(id) first FROM vehicles_vehicle) v"""
    )


# --- finance (reports 5 and 6): redemptions of the last two months carry their dealer (the base data
# leaves the ledger's dealer empty), so the month's settlement statements have lines to draft.
def _ledger_dealers(cur) -> None:
    cur.execute("ALTER TABLE vouchers_ledgerentry DISABLE TRIGGER vouchers_ledger_append_only")
    cur.execute(
        """UPDATE vouchers_ledgerentry e SET dealer_id = r.dealer_id FROM redemption_redemption r
        WHERE r.redeemed_entry_id = e.id AND e.created_at > now() - interval '62 days'"""
    )
    cur.execute("ALTER TABLE vouchers_ledgerentry ENABLE TRIGGER vouchers_ledger_append_only")
    cur.execute("UPDATE vouchers_voucherdefinition SET settlement_price_twd = 300")


def _last_month():
    from datetime import timedelta

    from django.utils import timezone

    return (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1)


def _finance_command(*args):
    import io

    from django.core.management import call_command

    return lambda: call_command(*args, stdout=io.StringIO())


def _draft_one_dealer():
    from finance.services import statement_draft
    from members.actors import Actor
    from members.models import Dealer

    statement_draft(
        dealer=Dealer.objects.order_by("pk").first(), month=_last_month(), actor=Actor.system("bench")
    )


def _settlement_preview():
    _finance_command("settlement", "--month", f"{_last_month():%Y-%m}", "--format", "csv")()


def _facts_refresh():
    from finance.services import facts_refresh

    facts_refresh()


EXTRA_BUILDERS.append(_ledger_dealers)
EXTRA_TIMINGS += [
    ("finance_report liability", _finance_command("finance_report", "liability", "--as-of", "2026-12-31")),
    (
        "finance_report rollforward",
        _finance_command("finance_report", "rollforward", "--from", "2026-11-01", "--to", "2026-11-30"),
    ),
    ("settlement draft (1 dealer)", _draft_one_dealer),
    ("settlement --month (all)", _settlement_preview),
    ("money facts refresh", _facts_refresh),
]


def _timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def measure() -> None:
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.urls import reverse

    from members.models import Dealer, DealerStaff
    from members.roles import DEALER_MANAGER, OPERATIONS, groups_setup, user_set_role
    from reports.access import report_scope
    from reports.registry import all_reports

    groups_setup()
    User = get_user_model()
    ops, _ = User.objects.get_or_create(username="bench-ops", defaults={"is_staff": True})
    user_set_role(user=ops, role=OPERATIONS)
    manager, _ = User.objects.get_or_create(username="bench-mgr", defaults={"is_staff": True})
    user_set_role(user=manager, role=DEALER_MANAGER)
    DealerStaff.objects.get_or_create(
        user=manager,
        defaults={"dealer": Dealer.objects.order_by("pk").first(), "role": DealerStaff.Role.MANAGER},
    )
    rows = []
    for label, user in (("operations", ops), ("dealer manager", manager)):
        client = Client()
        client.force_login(user)
        client.get(reverse("reports:index"))  # a server process is long-lived: not its first request
        for report in all_reports():
            if not report_scope(user, report.permission).allowed:
                continue  # e.g. the money reports: Finance and Operations only, not a dealer manager
            for kind, url in (
                ("page", reverse("reports:report", args=[report.slug])),
                ("csv", reverse("reports:export", args=[report.slug, "csv"])),
                ("xlsx", reverse("reports:export", args=[report.slug, "xlsx"])),
            ):
                times = []
                for _ in range(REPEAT):
                    started = time.perf_counter()
                    response = client.get(url)
                    times.append(time.perf_counter() - started)
                    assert response.status_code == 200, (url, response.status_code)
                rows.append((report.slug, kind, label, min(times), max(times)))
    for name, fn in EXTRA_TIMINGS:
        times = [_timed(fn) for _ in range(REPEAT)]
        rows.append((name, "extra", "", min(times), max(times)))
    print(f"{'report':<22} {'what':<6} {'reader':<15} {'best s':>8} {'worst s':>8} {'worst/2s':>9}")
    for slug, kind, label, best, worst in rows:
        print(f"{slug:<22} {kind:<6} {label:<15} {best:8.3f} {worst:8.3f} {worst / TARGET_SECONDS:9.2f}")
    slowest = max(rows, key=lambda r: r[4])
    print(
        f"slowest: {slowest[0]} {slowest[1]} ({slowest[2]}) {slowest[4]:.3f} s"
        f" = {slowest[4] / TARGET_SECONDS:.2f} of the target"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reuse", action="store_true", help="measure on the data already built")
    parser.add_argument("--facts", action="store_true", help="keep the data, rebuild the facts, measure")
    parser.add_argument(
        "--scale", type=float, default=1.0, help="fraction of the full size (a quick check that it all runs)"
    )
    args = parser.parse_args()
    scaled = {"VOUCHERS", "LEDGER", "VEHICLES", "MEMBERS", "ORDERS", "VISITS", "NOTIFICATIONS"}
    globals().update({name: max(1, int(globals()[name] * args.scale)) for name in scaled})
    django.setup()
    from django.core.management import call_command

    if not args.reuse:
        if not args.facts:
            build()
        started = time.monotonic()
        call_command("rebuild_report_facts")
        print(f"rebuild_report_facts: {time.monotonic() - started:.1f} s")
        started = time.monotonic()
        call_command("rebuild_report_facts", "--refresh")
        print(f"rebuild_report_facts --refresh (the nightly job): {time.monotonic() - started:.1f} s")
    measure()


if __name__ == "__main__":
    main()
