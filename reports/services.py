"""Keeping the summary (fact) tables: the only code that writes them.

`report_facts_rebuild` empties every table and refills it from the source records (the voucher
ledger and the records around it: redemptions, orders, visits, campaign vouchers, messages).
`report_facts_refresh` recomputes the periods that can still change (the last REPORTS_REFRESH_MONTHS
months: late DMS imports, reversals, conversions still inside their window) and the orders whose
vouchers have new ledger entries. Both are idempotent: running one twice gives the same tables.

Each period is replaced inside one transaction (delete, then insert), so a reader sees either the old
or the new figures of a period, never half. Reads of the source tables stay on the primary.
"""

from __future__ import annotations

import logging
import time as clock
from collections import defaultdict
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import connections, transaction
from django.db.models import Count, DateField, F, Max, Min, OuterRef, Q, Sum, Value
from django.db.models.functions import Coalesce, TruncDate, TruncMonth
from django.utils import timezone

from campaigns.models import CampaignVoucher, EventIssuance, Notification
from members.actors import Actor
from redemption.models import Redemption
from vehicles.models import Vehicle, Visit
from vouchers.models import LedgerEntry, Order, Voucher, VoucherDefinition

from .models import (
    CareFact,
    CustomerMonthFact,
    DemandFact,
    FactRefresh,
    IssueFact,
    MessageFact,
    OrderFact,
    ServiceDay,
)
from .query import add_months, month_end

logger = logging.getLogger(__name__)

DB = "default"  # the refresh reads and writes the primary, never the replica
BATCH = 5000
SOLD = [Order.Status.PAID, Order.Status.ISSUED, Order.Status.PARTLY_REFUNDED, Order.Status.REFUNDED]
OPEN = [Voucher.Status.INACTIVE, Voucher.Status.ACTIVE, Voucher.Status.HELD, Voucher.Status.LOCKED]
# Event-triggered vouchers count toward the lifecycle programme that issues them.
EVENT_PROGRAMME = {
    VoucherDefinition.TriggerEvent.VEHICLE_DELIVERED: "new_car_care",
    VoucherDefinition.TriggerEvent.BIRTHDAY: "birthday",
    VoucherDefinition.TriggerEvent.PURCHASE_ANNIVERSARY: "purchase_anniversary",
    VoucherDefinition.TriggerEvent.NO_VISIT: "win_back",
}
CAMPAIGN = "campaign"


def _start_of(day: date) -> datetime:
    """Midnight of a day in Asia/Taipei, as an aware datetime."""
    return timezone.make_aware(datetime.combine(day, time.min))


def _local_day(moment: datetime) -> date:
    return timezone.localtime(moment).date()


def _earliest_day() -> date:
    """The first day anything was recorded: where a rebuild starts."""
    candidates = [
        LedgerEntry.objects.using(DB).aggregate(d=Min("created_at"))["d"],
        Visit.objects.using(DB).aggregate(d=Min("visited_on"))["d"],
        Vehicle.objects.using(DB).aggregate(d=Min("delivery_date"))["d"],
        Notification.objects.using(DB).aggregate(d=Min("created_at"))["d"],
    ]
    days = [
        c if isinstance(c, date) and not isinstance(c, datetime) else _local_day(c) for c in candidates if c
    ]
    return min(days, default=timezone.localdate()).replace(day=1)


def _months(since: date, until: date) -> list[date]:
    months, month = [], since.replace(day=1)
    while month <= until:
        months.append(month)
        month = add_months(month, 1)
    return months


def _bulk(model, rows: list) -> None:
    model.objects.using(DB).bulk_create(rows, batch_size=BATCH)


# --- service days ----------------------------------------------------------------------------------


def _service_days(since: date) -> None:
    """A vehicle served on a day: visits from the DMS and completed (not reversed) redemptions.

    One INSERT … SELECT over the union of both, grouped by vehicle and day, written by the database
    itself: the inner queries are the ORM's, compiled for the database in use (the local date of a
    redemption included), so this stays portable while no row passes through Python."""
    start = since.replace(day=1)
    visits = (
        Visit.objects.using(DB)
        .filter(visited_on__gte=start)
        .annotate(day=F("visited_on"), v=Value(1), r=Value(0))
        .values("vehicle_id", "day", "v", "r")
        .order_by()
    )
    redemptions = (
        Redemption.objects.using(DB)
        .filter(status=Redemption.Status.COMPLETED, completed_at__gte=_start_of(start))
        .annotate(day=TruncDate("completed_at"), v=Value(0), r=Value(1))
        .values("vehicle_id", "day", "v", "r")
        .order_by()
    )
    compiler = connections[DB].ops
    visits_sql, visits_params = visits.query.sql_with_params()
    redemptions_sql, redemptions_params = redemptions.query.sql_with_params()
    table = compiler.quote_name(ServiceDay._meta.db_table)
    insert = (
        f"INSERT INTO {table} (vehicle_id, day, visits, redemptions) "  # noqa: S608 - ORM-compiled SQL, params apart
        f"SELECT u.vehicle_id, u.day, SUM(u.v), SUM(u.r) FROM ({visits_sql} UNION ALL {redemptions_sql}) u "
        "GROUP BY u.vehicle_id, u.day"
    )
    with transaction.atomic(using=DB):
        ServiceDay.objects.using(DB).filter(day__gte=start).delete()
        with connections[DB].cursor() as cursor:
            cursor.execute(insert, (*visits_params, *redemptions_params))


# --- report 1: demand --------------------------------------------------------------------------------


def _demand(since: date) -> None:
    month = since.replace(day=1)
    rows = (
        Redemption.objects.using(DB)
        .filter(status=Redemption.Status.COMPLETED, completed_at__gte=_start_of(month))
        .annotate(month=TruncMonth("completed_at", output_field=DateField()))
        .values_list("month", "dealer_id", "voucher__definition__category", "vehicle__model_id")
        .annotate(redemptions=Count("pk"), vehicles=Count("vehicle_id", distinct=True))
        .order_by()
    )
    facts = [
        DemandFact(month=m, dealer_id=d, category=c, model_id=mo, redemptions=r, vehicles=v)
        for m, d, c, mo, r, v in rows
    ]
    with transaction.atomic(using=DB):
        DemandFact.objects.using(DB).filter(month__gte=month).delete()
        _bulk(DemandFact, facts)


# --- report 2: orders ----------------------------------------------------------------------------------


def _order_facts(order_filter: Q) -> int:
    """Recompute the facts of the sold orders matching `order_filter` (and drop those no longer sold)."""
    orders = list(
        Order.objects.using(DB)
        .filter(order_filter, status__in=SOLD, paid_at__isnull=False)
        .values_list(
            "pk",
            "paid_at",
            "bundle_id",
            "definition_id",
            "definition__category",
            "channel",
            "dealer_id",
            "vehicle__selling_dealer_id",
            "vehicle__model_id",
            "member_id",
            "quantity",
            "amount_twd",
        )
        .order_by("pk")
    )
    if not orders:
        with transaction.atomic(using=DB):
            OrderFact.objects.using(DB).filter(
                Q(order__in=Order.objects.using(DB).filter(order_filter))
            ).delete()
        return 0
    low, high = orders[0][0], orders[-1][0]
    in_range = Q(order_id__gte=low, order_id__lte=high)
    uses = {
        order_id: (total or 0, left or 0, open_left or 0)
        for order_id, total, left, open_left in Voucher.objects.using(DB)
        .filter(in_range)
        .values_list("order_id")
        .annotate(t=Sum("uses_total"), l=Sum("uses_left"), o=Sum("uses_left", filter=Q(status__in=OPEN)))
        .order_by()
    }
    first_use = dict(
        Redemption.objects.using(DB)
        .filter(status=Redemption.Status.COMPLETED, voucher__order_id__gte=low, voucher__order_id__lte=high)
        .values_list("voucher__order_id")
        .annotate(first=Min("completed_at"))
        .order_by()
    )
    members = {o[9] for o in orders}
    earlier: dict[tuple, list] = defaultdict(list)
    for member_id, bundle_id, definition_id, paid_at, pk in (
        Order.objects.using(DB)
        .filter(member_id__in=members, status__in=SOLD, paid_at__isnull=False)
        .values_list("member_id", "bundle_id", "definition_id", "paid_at", "pk")
    ):
        earlier[(member_id, bundle_id, definition_id)].append((paid_at, pk))
    facts = []
    for (
        pk,
        paid_at,
        bundle_id,
        definition_id,
        category,
        channel,
        dealer_id,
        home,
        model_id,
        member_id,
        qty,
        amount,
    ) in orders:
        total, left, open_left = uses.get(pk, (0, 0, 0))
        first = first_use.get(pk)
        facts.append(
            OrderFact(
                order_id=pk,
                paid_on=_local_day(paid_at),
                bundle_id=bundle_id,
                definition_id=definition_id,
                category=(category or "") if bundle_id is None else "",
                channel=channel,
                dealer_id=dealer_id or home,
                model_id=model_id,
                member_id=member_id,
                quantity=qty,
                amount_twd=amount,
                uses_total=total,
                uses_consumed=total - left,
                uses_left=open_left,
                first_use_on=_local_day(first) if first else None,
                # A use stamped before the payment (a clock or an import off by minutes) counts as day 0
                # rather than stopping the nightly job on the column's check.
                days_to_first_use=max(0, (_local_day(first) - _local_day(paid_at)).days) if first else None,
                repeat=any(
                    (at, other) < (paid_at, pk)
                    for at, other in earlier[(member_id, bundle_id, definition_id)]
                ),
            )
        )
    with transaction.atomic(using=DB):
        OrderFact.objects.using(DB).filter(Q(order__in=Order.objects.using(DB).filter(order_filter))).delete()
        _bulk(OrderFact, facts)
    return len(facts)


def _orders_all() -> None:
    with transaction.atomic(using=DB):
        OrderFact.objects.using(DB).all().delete()
    last = Order.objects.using(DB).aggregate(m=Max("pk"))["m"] or 0
    for low in range(0, last + 1, BATCH):
        _order_facts(Q(pk__gte=low, pk__lt=low + BATCH))


def _orders_touched(since_moment: datetime, ledger_mark: int) -> None:
    """Orders paid since, and orders whose vouchers have ledger entries after the mark (uses, refunds)."""
    touched = set(
        Voucher.objects.using(DB)
        .filter(order__isnull=False, ledger__pk__gt=ledger_mark)
        .values_list("order_id", flat=True)
        .distinct()
    )
    touched |= set(Order.objects.using(DB).filter(paid_at__gte=since_moment).values_list("pk", flat=True))
    ordered = sorted(touched)
    for i in range(0, len(ordered), BATCH):
        chunk = ordered[i : i + BATCH]
        _order_facts(Q(pk__in=chunk))


# --- report 3: campaigns and programmes ----------------------------------------------------------------


def _first_use():
    return (
        Redemption.objects.filter(voucher_id=OuterRef("pk"), status=Redemption.Status.COMPLETED)
        .order_by("completed_at")
        .values("completed_at")[:1]
    )


def _issue_facts(since: date) -> None:
    start = _start_of(since)
    campaign_of = dict(
        CampaignVoucher.objects.using(DB)
        .filter(voucher__issued_at__gte=start)
        .values_list("voucher_id", "campaign_id")
    )
    vouchers = (
        Voucher.objects.using(DB)
        .filter(issued_at__gte=start)
        .filter(Q(source=Voucher.Source.CAMPAIGN) | Q(source=Voucher.Source.EVENT))
        .annotate(first_use=_subquery_first_use())
        .values_list(
            "pk",
            "issued_at",
            "source",
            "definition_id",
            "definition__trigger_event",
            "vehicle__selling_dealer_id",
            "activated_at",
            "first_use",
        )
    )
    groups: dict[tuple, list[int]] = defaultdict(lambda: [0] * 6)
    for pk, issued_at, source, definition_id, event, dealer_id, activated_at, first in vouchers.iterator(
        chunk_size=BATCH
    ):
        campaign_id = campaign_of.get(pk)
        if campaign_id is not None:
            key_source = CAMPAIGN
        elif source == Voucher.Source.EVENT:
            key_source = EVENT_PROGRAMME.get(event, event or "event")
        else:
            continue
        g = groups[(_local_day(issued_at), key_source, campaign_id, definition_id, dealer_id)]
        g[0] += 1
        g[1] += activated_at is not None
        if first is not None:
            waited = first - issued_at
            g[2] += 1
            g[3] += waited <= timedelta(days=30)
            g[4] += waited <= timedelta(days=60)
            g[5] += waited <= timedelta(days=90)
    facts = [
        IssueFact(
            issued_on=day,
            source=source,
            campaign_id=campaign_id,
            definition_id=definition_id,
            dealer_id=dealer_id,
            issued=g[0],
            activated=g[1],
            redeemed=g[2],
            redeemed_30=g[3],
            redeemed_60=g[4],
            redeemed_90=g[5],
        )
        for (day, source, campaign_id, definition_id, dealer_id), g in groups.items()
    ]
    messages = (
        Notification.objects.using(DB)
        .filter(status=Notification.Status.SENT, sent_at__gte=start)
        .filter(Q(campaign__isnull=False) | Q(purpose=Notification.Purpose.LIFECYCLE))
        .annotate(day=TruncDate("sent_at"))
        .values_list("day", "campaign_id", "template_key")
        .annotate(n=Count("pk"))
        .order_by()
    )
    message_facts = [
        MessageFact(
            sent_on=day,
            source=CAMPAIGN if campaign_id else (template_key or "lifecycle"),
            campaign_id=campaign_id,
            sent=n,
        )
        for day, campaign_id, template_key, n in messages
    ]
    with transaction.atomic(using=DB):
        IssueFact.objects.using(DB).filter(issued_on__gte=since).delete()
        MessageFact.objects.using(DB).filter(sent_on__gte=since).delete()
        _bulk(IssueFact, facts)
        _bulk(MessageFact, message_facts)


def _subquery_first_use():
    from django.db.models import Subquery

    return Subquery(_first_use())


def _care_facts(since: date) -> None:
    """Vehicles delivered per month, with or without new-car care messages, and their first service."""
    month = since.replace(day=1)
    cared = set()
    for key in (
        Notification.objects.using(DB)
        .filter(dedup_key__startswith="care:")
        .values_list("dedup_key", flat=True)
        .iterator(chunk_size=BATCH)
    ):
        part = key.split(":")
        if len(part) >= 2 and part[1].isdigit():
            cared.add(int(part[1]))
    window = settings.REPORTS_FIRST_SERVICE_DAYS
    groups: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    vehicles = (
        Vehicle.objects.using(DB)
        .filter(delivery_date__gte=month)
        .values_list("pk", "delivery_date", "selling_dealer_id")
    )
    for chunk in _chunks(list(vehicles), BATCH):
        low = min(c[0] for c in chunk)
        high = max(c[0] for c in chunk)
        served: dict[int, list[date]] = defaultdict(list)
        for vehicle_id, day in (
            ServiceDay.objects.using(DB)
            .filter(vehicle_id__gte=low, vehicle_id__lte=high, day__gte=month)
            .values_list("vehicle_id", "day")
        ):
            served[vehicle_id].append(day)
        for pk, delivered, dealer_id in chunk:
            g = groups[(delivered.replace(day=1), dealer_id, pk in cared)]
            g[0] += 1
            g[1] += any(delivered <= d <= delivered + timedelta(days=window) for d in served.get(pk, ()))
    facts = [
        CareFact(month=m, dealer_id=d, cared=c, vehicles=g[0], first_serviced=g[1])
        for (m, d, c), g in groups.items()
    ]
    with transaction.atomic(using=DB):
        CareFact.objects.using(DB).filter(month__gte=month).delete()
        _bulk(CareFact, facts)


def _chunks(items: list, size: int):
    items.sort()
    for i in range(0, len(items), size):
        yield items[i : i + size]


# --- report 4: customer KPIs ------------------------------------------------------------------------


def _customer_facts(since: date) -> None:
    today = timezone.localdate()
    recovery = settings.REPORTS_WINBACK_RECOVERY_DAYS
    for month in _months(since, today):
        end = month_end(month)
        window_start = add_months(month, -11)
        rows: dict[int | None, dict] = defaultdict(lambda: defaultdict(int))
        for dealer_id, n in (
            Vehicle.objects.using(DB)
            .annotate(since=Coalesce("delivery_date", TruncDate("created_at")))
            .filter(since__lte=end)
            .values_list("selling_dealer_id")
            .annotate(n=Count("pk"))
            .order_by()
        ):
            rows[dealer_id]["vehicles"] = n
        for dealer_id, days, visits, redemptions, active in (
            ServiceDay.objects.using(DB)
            .filter(day__gte=window_start, day__lte=end)
            .values_list("vehicle__selling_dealer_id")
            .annotate(
                n=Count("pk"), v=Sum("visits"), r=Sum("redemptions"), a=Count("vehicle_id", distinct=True)
            )
            .order_by()
        ):
            row = rows[dealer_id]
            row.update(
                service_days_12m=days, visits_12m=visits, redemptions_12m=redemptions, active_12m=active
            )
        for dealer_id, _member, n, last in (
            OrderFact.objects.using(DB)
            .filter(paid_on__lte=end)
            .values_list("dealer_id", "member_id")
            .annotate(n=Count("pk"), last=Max("paid_on"))
            .order_by()
        ):
            if last >= window_start:
                rows[dealer_id]["buyers_12m"] += 1
                rows[dealer_id]["repeat_buyers_12m"] += n >= 2
        for dealer_id, vehicles, served in (
            CareFact.objects.using(DB)
            .filter(month=month)
            .values_list("dealer_id")
            .annotate(v=Sum("vehicles"), f=Sum("first_serviced"))
            .order_by()
        ):
            rows[dealer_id]["delivered"] = vehicles
            rows[dealer_id]["first_serviced"] = served
        targets = list(
            EventIssuance.objects.using(DB)
            .filter(
                event=VoucherDefinition.TriggerEvent.NO_VISIT,
                status=EventIssuance.Status.ISSUED,
                vehicle__isnull=False,
                created_at__gte=_start_of(month),
                created_at__lt=_start_of(end + timedelta(days=1)),
            )
            .values_list("vehicle_id", "created_at", "vehicle__selling_dealer_id")
        )
        if targets:
            served: dict[int, list[date]] = defaultdict(list)
            for vehicle_id, day in (
                ServiceDay.objects.using(DB)
                .filter(
                    vehicle_id__in={t[0] for t in targets},
                    day__gte=month,
                    day__lte=end + timedelta(days=recovery),
                )
                .values_list("vehicle_id", "day")
            ):
                served[vehicle_id].append(day)
            for vehicle_id, at, dealer_id in targets:
                issued = _local_day(at)
                rows[dealer_id]["winback_targets"] += 1
                rows[dealer_id]["winback_recovered"] += any(
                    issued < d <= issued + timedelta(days=recovery) for d in served.get(vehicle_id, ())
                )
        facts = [
            CustomerMonthFact(month=month, dealer_id=dealer_id, **values)
            for dealer_id, values in rows.items()
        ]
        with transaction.atomic(using=DB):
            CustomerMonthFact.objects.using(DB).filter(month=month).delete()
            _bulk(CustomerMonthFact, facts)


# --- the use cases ---------------------------------------------------------------------------------------


def _run(
    kind: str, since: date, actor: Actor, *, touched_since: datetime | None, ledger_mark: int = 0
) -> FactRefresh:
    run = FactRefresh.objects.using(DB).create(
        kind=kind,
        since=since,
        started_at=timezone.now(),
        actor_label=actor.label,
        ledger_mark=LedgerEntry.objects.using(DB).aggregate(m=Max("pk"))["m"] or 0,
    )
    steps = [
        ("service days", lambda: _service_days(since)),
        ("demand", lambda: _demand(since)),
        (
            "orders",
            _orders_all if touched_since is None else lambda: _orders_touched(touched_since, ledger_mark),
        ),
        ("campaigns", lambda: _issue_facts(since)),
        ("care", lambda: _care_facts(since)),
        ("customers", lambda: _customer_facts(since)),
    ]
    for name, step in steps:
        started = clock.monotonic()
        step()
        logger.info("report facts %s: %s from %s in %.1f s", kind, name, since, clock.monotonic() - started)
    run.finished_at = timezone.now()
    run.save(using=DB, update_fields=["finished_at"])
    return run


def report_facts_rebuild(*, actor: Actor) -> FactRefresh:
    """Empty every summary table and refill it from the ledger and the records around it."""
    since = _earliest_day()
    with transaction.atomic(using=DB):
        for model in (ServiceDay, DemandFact, IssueFact, MessageFact, CareFact, CustomerMonthFact):
            model.objects.using(DB).filter(**_before(model, since)).delete()
    return _run(FactRefresh.Kind.REBUILD, since, actor, touched_since=None)


def _before(model, since: date) -> dict:
    field = {"ServiceDay": "day", "IssueFact": "issued_on", "MessageFact": "sent_on"}.get(
        model.__name__, "month"
    )
    return {f"{field}__lt": since}


def report_facts_refresh(*, actor: Actor, today: date | None = None) -> FactRefresh:
    """Recompute the months that can still change, and the orders whose vouchers moved since the last run.

    The window reaches back to the earlier of REPORTS_REFRESH_MONTHS ago and the last run's start, so a
    job that did not run for a while catches up."""
    today = today or timezone.localdate()
    since = add_months(today.replace(day=1), -settings.REPORTS_REFRESH_MONTHS)
    last = FactRefresh.objects.using(DB).filter(finished_at__isnull=False).order_by("-started_at").first()
    if last is None:
        return report_facts_rebuild(actor=actor)
    since = min(since, _local_day(last.started_at).replace(day=1))
    # A change committed while the last run was reading is caught by starting a little before it.
    touched_since = last.started_at - timedelta(hours=1)
    return _run(
        FactRefresh.Kind.REFRESH, since, actor, touched_since=touched_since, ledger_mark=last.ledger_mark
    )
