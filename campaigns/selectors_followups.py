"""Who a follow-up rule reaches tonight, and what becomes of each: the one selection the nightly job
carries out and the back office's dry run shows (a rule lives in one place).

A past service is a completed use of a voucher of the rule's category or definition, or a workshop
visit of the rule's kind. Only a car's latest such service counts (a second coating restarts the
clock). It is due when the rule's time since the service has passed (due date + `window_days` not
yet over), or when the car's latest odometer reading, taken within the window, is `after_km` or
more beyond the reading at the service. A service followed up once (or refused) is never again.

Each candidate's outcome applies the outbox's own rules in the order the job meets them: consent
and address (refused, recorded), the weekly cap of promotional messages (left for a later night,
while the window lasts), then the offer's stock (refused, recorded).
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.models import Member
from redemption.models import Redemption
from vehicles.models import MileageReading, Vehicle, Visit
from vehicles.selectors import current_owner_id_subquery
from vouchers.exceptions import StockExhausted
from vouchers.validity import add_months, local_date, start_of_day

from .models import FollowUp, FollowUpRule, Notification, OfferMode
from .services.offers import offer_unavailable
from .services.policy import (
    NO_ADDRESS,
    WEEKLY_CAP,
    consent_refusal,
    member_address,
    promotional_sent_this_week,
)

# How far back a distance-only rule looks for the service it follows.
MILEAGE_LOOKBACK_DAYS = 730
PURPOSE = Notification.Purpose.FOLLOW_UP


class Outcome:
    SEND = "send"
    NO_CONSENT = "no_consent"
    NO_ADDRESS = "no_address"
    WEEKLY_CAP = "weekly_cap"
    NO_STOCK = "no_stock"


# Refusals recorded once (the follow-up is never tried again); the weekly cap only defers it.
RECORDED_REFUSALS = {Outcome.NO_CONSENT, Outcome.NO_ADDRESS, Outcome.NO_STOCK}


@dataclass
class Candidate:
    source_kind: str
    source_id: int
    serviced_on: date
    vehicle_id: int
    plate: str
    model_name: str
    model_id: int
    member: Member
    due_on: date | None  # by time; None when it is due by distance only
    km_since: int | None
    rule_id: int
    outcome: str = Outcome.SEND
    reason: str = ""

    @property
    def key(self) -> str:
        """The follow-up's name: the outbox de-duplication key and the voucher's idempotency key."""
        return followup_key(self.rule_id, self.source_kind, self.source_id)


def followup_key(rule_id: int, source_kind: str, source_id: int) -> str:
    return f"followup:{rule_id}:{source_kind}:{source_id}"


@dataclass
class FollowUpPlan:
    rule: FollowUpRule
    problem: str = ""  # the offer cannot be made to anyone: the job passes the rule by
    candidates: list[Candidate] = field(default_factory=list)
    already: int = 0  # past services due that were followed up (or refused) before

    def count(self, outcome: str) -> int:
        return sum(1 for c in self.candidates if c.outcome == outcome)

    @property
    def to_send(self) -> list[Candidate]:
        return [c for c in self.candidates if c.outcome == Outcome.SEND]


def _local_day(name: str) -> TruncDate:
    return TruncDate(name, tzinfo=timezone.get_default_timezone())


def _time_due(rule: FollowUpRule, serviced_on: date) -> date | None:
    if not (rule.after_months or rule.after_days):
        return None
    return add_months(serviced_on, rule.after_months) + timedelta(days=rule.after_days)


def _earliest_service(rule: FollowUpRule, today: date) -> date:
    bounds = []
    if rule.after_months or rule.after_days:
        start = today - timedelta(days=rule.after_days + rule.window_days)
        bounds.append(add_months(start, -rule.after_months) - timedelta(days=3))  # month-end clamping
    if rule.after_km:
        bounds.append(today - timedelta(days=MILEAGE_LOOKBACK_DAYS))
    return min(bounds)


def _latest_services(rule: FollowUpRule, since: date) -> dict[int, tuple[date, str, int, int | None]]:
    """{vehicle id: (serviced on, source kind, source id, km at the service)}: each car's latest."""
    found: list[tuple[int, date, str, int, int | None]] = []
    match = Q()
    if rule.trigger_category:
        match |= Q(voucher__definition__category=rule.trigger_category)
    if rule.trigger_definition_id:
        match |= Q(voucher__definition_id=rule.trigger_definition_id)
    if match:
        found += [
            (vehicle_id, day, FollowUp.Source.REDEMPTION, pk, km)
            for pk, vehicle_id, day, km in Redemption.objects.filter(
                match, status=Redemption.Status.COMPLETED, completed_at__gte=start_of_day(since)
            )
            .order_by()
            .values_list("pk", "vehicle_id", _local_day("completed_at"), "mileage_km")
        ]
    if rule.trigger_visit_kind:
        found += [
            (vehicle_id, day, FollowUp.Source.VISIT, pk, km)
            for pk, vehicle_id, day, km in Visit.objects.filter(
                kind=rule.trigger_visit_kind, visited_on__gte=since
            )
            .order_by()
            .values_list("pk", "vehicle_id", "visited_on", "mileage_km")
        ]
    latest: dict[int, tuple[date, str, int, int | None]] = {}
    for vehicle_id, day, kind, pk, km in sorted(found, key=lambda row: (row[1], row[2], row[3])):
        latest[vehicle_id] = (day, kind, pk, km)
    return latest


def _km_at_service(vehicle_ids: list[int], services: dict) -> dict[int, int]:
    """The odometer at each service: as recorded with it, else the last reading on or before its day."""
    known = {vid: s[3] for vid, s in services.items() if s[3] is not None}
    missing = [vid for vid in vehicle_ids if vid not in known]
    if missing:
        for vehicle_id, day, km in (
            MileageReading.objects.filter(vehicle_id__in=missing)
            .order_by("vehicle_id", "recorded_at")
            .values_list("vehicle_id", _local_day("recorded_at"), "km")
        ):
            if day <= services[vehicle_id][0]:
                known[vehicle_id] = km
    return known


def followup_candidates(rule: FollowUpRule, *, now: datetime) -> tuple[list[Candidate], int]:
    """(the past services due tonight and not followed up yet, in due order; how many were)."""
    today = local_date(now)
    services = _latest_services(rule, _earliest_service(rule, today))
    if not services:
        return [], 0
    cars = {
        pk: row
        for pk, *row in Vehicle.objects.filter(pk__in=list(services))
        .annotate(owner_id=current_owner_id_subquery("pk"))
        .filter(owner_id__isnull=False)
        .values_list(
            "pk", "plate", "model__name", "model_id", "owner_id", "last_mileage_km", "last_mileage_at"
        )
    }
    km_at = _km_at_service(list(cars), services) if rule.after_km else {}
    due = []
    for vehicle_id, (plate, model_name, model_id, owner_id, last_km, last_at) in cars.items():
        serviced_on, kind, source_id, _km = services[vehicle_id]
        due_on = _time_due(rule, serviced_on)
        by_time = due_on is not None and due_on <= today < due_on + timedelta(days=rule.window_days)
        base = km_at.get(vehicle_id)
        km_since = last_km - base if base is not None and last_at is not None else None
        by_km = (
            rule.after_km is not None
            and km_since is not None
            and km_since >= rule.after_km
            and local_date(last_at) >= today - timedelta(days=rule.window_days)
            and local_date(last_at) >= serviced_on
        )
        if by_time or by_km:
            row = (due_on or today, vehicle_id, kind, source_id, serviced_on, plate, model_name, model_id)
            due.append((*row, owner_id, km_since))
    done = set(
        FollowUp.objects.filter(rule=rule, source_id__in=[row[3] for row in due]).values_list(
            "source_kind", "source_id"
        )
    )
    members = Member.objects.in_bulk({row[8] for row in due})
    candidates = []
    for row in sorted(due):
        due_on, vehicle_id, kind, source_id, serviced_on, plate, model_name, model_id, owner_id, km_since = (
            row
        )
        if (kind, source_id) in done:
            continue
        candidates.append(
            Candidate(
                source_kind=kind,
                source_id=source_id,
                serviced_on=serviced_on,
                vehicle_id=vehicle_id,
                plate=plate,
                model_name=model_name,
                model_id=model_id,
                member=members[owner_id],
                due_on=due_on if _time_due(rule, serviced_on) else None,
                km_since=km_since,
                rule_id=rule.pk,
            )
        )
    return candidates, len(due) - len(candidates)


def followup_plan(rule: FollowUpRule, *, now: datetime) -> FollowUpPlan:
    """What the nightly job does with `rule` now; the dry run shows it, the job carries it out."""
    plan = FollowUpPlan(rule=rule)
    plan.problem = offer_unavailable(rule.definition, rule.mode)
    if plan.problem == str(StockExhausted.default_message):
        plan.problem = ""  # no stock is a refusal per follow-up (recorded), not a rule to fix
    plan.candidates, plan.already = followup_candidates(rule, now=now)
    if plan.problem:
        return plan
    sent = (
        promotional_sent_this_week({c.member.pk for c in plan.candidates}, now)
        if rule.promotional
        else Counter()
    )
    stock = rule.definition.stock_left
    for c in plan.candidates:
        if refusal := consent_refusal(c.member, purpose=PURPOSE, promotional=rule.promotional):
            c.outcome, c.reason = Outcome.NO_CONSENT, refusal
        elif not member_address(c.member)[1]:
            c.outcome, c.reason = Outcome.NO_ADDRESS, str(NO_ADDRESS)
        elif rule.promotional and sent[c.member.pk] >= _weekly_cap():
            c.outcome, c.reason = Outcome.WEEKLY_CAP, str(WEEKLY_CAP)
        elif stock is not None and stock <= 0:
            c.outcome, c.reason = Outcome.NO_STOCK, str(StockExhausted.default_message)
        else:
            sent[c.member.pk] += 1
            if stock is not None and rule.mode == OfferMode.ISSUE:
                stock -= 1
    return plan


def _weekly_cap() -> int:
    return settings.NOTIFY_PROMOTIONAL_WEEKLY_CAP


OUTCOME_LABELS = {
    Outcome.SEND: _("Will receive the offer"),
    Outcome.NO_CONSENT: _("Left out: no consent"),
    Outcome.NO_ADDRESS: _("Left out: no address for the channel"),
    Outcome.WEEKLY_CAP: _("Deferred: weekly limit reached"),
    Outcome.NO_STOCK: _("Left out: no stock left"),
}
