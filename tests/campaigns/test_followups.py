"""Follow-ups from past services: each rule, its dry run (what the job then does), and every refusal."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.jobs import job_run
from campaigns.models import FollowUp, FollowUpRule, Notification, OfferMode
from campaigns.schedules import JOBS
from campaigns.selectors_followups import Outcome, followup_plan
from campaigns.services.followups import followups_send
from redemption.services import redemption_redeem
from tests.factories import (
    DealerFactory,
    DefinitionFactory,
    MemberFactory,
    OwnedVehicleFactory,
    UserFactory,
    issue_voucher,
)
from vehicles.models import MileageReading, Visit
from vouchers.models import Voucher, VoucherDefinition
from vouchers.validity import add_months

TPE = ZoneInfo("Asia/Taipei")
pytestmark = pytest.mark.django_db
Category = VoucherDefinition.Category
NIGHT = datetime(2026, 12, 6, 2, 20, tzinfo=TPE)


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=TPE)


def owner(**kwargs):
    return MemberFactory(consent_marketing=True, **kwargs)


def served(car, category=Category.COATING, *, on: date, km: int | None = None, definition=None):
    """A completed use of a voucher of `category` (or `definition`) on `on`."""
    definition = definition or DefinitionFactory(category=category, validity_days=400)
    voucher = issue_voucher(definition, vehicle=car, now=at(on, 9))
    return redemption_redeem(
        voucher=voucher,
        vehicle=car,
        dealer=DealerFactory(),
        idempotency_key=f"use-{voucher.pk}",
        mileage_km=km,
        now=at(on, 10),
    )


def coating_rule(offer=None, **kwargs) -> FollowUpRule:
    fields = {
        "name": "鍍膜半年保養優惠",
        "trigger_category": Category.COATING,
        "after_months": 6,
        "definition": offer or DefinitionFactory(name="鍍膜保養", category=Category.COATING),
        "message_zh_hant": "{{ name }} 您好，{{ plate }} 於 {{ serviced_on }} 鍍膜已滿半年：{{ offer_url }}",
        "message_en": "Hello {{ name }}, {{ plate }} was coated on {{ serviced_on }}: {{ offer_url }}",
        **kwargs,
    }
    return FollowUpRule.objects.create(**fields)


def offered(definition) -> list[Voucher]:
    return list(Voucher.objects.filter(definition=definition).order_by("pk"))


def outcomes_after_run(rule) -> dict:
    return dict(FollowUp.objects.filter(rule=rule).values_list("vehicle_id", "status"))


# --- the rules ----------------------------------------------------------------------------------


def test_coating_six_months_ago_gets_the_maintenance_offer_as_the_dry_run_said():
    rule = coating_rule()
    car = OwnedVehicleFactory(owner=owner())
    served(car, on=date(2026, 6, 1))  # due 1 December, within the 30-day window
    plan = followup_plan(rule, now=NIGHT)
    assert [(c.vehicle_id, c.outcome) for c in plan.candidates] == [(car.pk, Outcome.SEND)]
    assert followups_send(now=NIGHT) == (1, None)
    [voucher] = offered(rule.definition)
    assert voucher.vehicle == car
    follow_up = FollowUp.objects.get()
    assert follow_up.status == "issued" and follow_up.voucher == voucher
    notification = Notification.objects.get(purpose="follow_up")
    assert notification.promotional and f"/portal/vouchers/{voucher.pk}/" in notification.body
    assert car.plate in notification.body and "2026/06/01" in notification.body
    assert notification.subject == rule.name


@pytest.mark.parametrize(
    ("serviced_on", "due"),
    [
        (date(2026, 6, 1), True),
        (date(2026, 6, 7), False),  # due 7 December: not yet
        (date(2026, 5, 5), False),  # due 5 November: the window closed on 5 December
    ],
)
def test_time_window(serviced_on, due):
    rule = coating_rule()
    served(OwnedVehicleFactory(owner=owner()), on=serviced_on)
    assert len(followup_plan(rule, now=NIGHT).candidates) == int(due)
    assert followups_send(now=NIGHT)[0] == int(due)


def test_a_newer_service_restarts_the_clock():
    rule = coating_rule()
    car = OwnedVehicleFactory(owner=owner())
    served(car, on=date(2026, 6, 1))
    served(car, on=date(2026, 10, 1))
    assert followup_plan(rule, now=NIGHT).candidates == []


def test_detailing_then_a_wash_pack_for_the_member():
    wash_pack = DefinitionFactory(
        name="洗車三次", holder_type=VoucherDefinition.HolderType.MEMBER, uses_per_voucher=3
    )
    rule = coating_rule(
        wash_pack, name="美容後洗車套票", trigger_category=Category.DETAILING, after_months=0, after_days=30
    )
    member = owner()
    car = OwnedVehicleFactory(owner=member)
    served(car, Category.DETAILING, on=date(2026, 11, 5))
    served(OwnedVehicleFactory(owner=owner()), Category.WASH, on=date(2026, 11, 5))  # not detailing
    followups_send(now=NIGHT)
    [voucher] = offered(wash_pack)
    assert voucher.member == member and voucher.vehicle is None and voucher.uses_left == 3
    assert FollowUp.objects.get(rule=rule).vehicle == car


def test_a_definition_or_a_visit_kind_as_the_trigger():
    special = DefinitionFactory(category=Category.OTHER)
    by_definition = coating_rule(trigger_category="", trigger_definition=special)
    by_visit = coating_rule(trigger_category="", trigger_visit_kind=Visit.Kind.BODYWORK)
    car, body_car = OwnedVehicleFactory(owner=owner()), OwnedVehicleFactory(owner=owner())
    served(car, definition=special, on=date(2026, 6, 1))
    Visit.objects.create(
        vehicle=body_car,
        dealer=DealerFactory(),
        visited_on=date(2026, 6, 2),
        repair_order="RO-1",
        kind=Visit.Kind.BODYWORK,
        source=Visit.Source.IMPORT,
    )
    followups_send(now=NIGHT)
    assert outcomes_after_run(by_definition) == {car.pk: "issued"}
    assert outcomes_after_run(by_visit) == {body_car.pk: "issued"}
    assert FollowUp.objects.get(rule=by_visit).source_kind == "visit"


def _tyre_rule(offer):
    return coating_rule(
        offer,
        name="換胎一萬公里輪胎對調",
        trigger_category=Category.TYRE,
        after_months=0,
        after_km=10_000,
        mode=OfferMode.CLAIM,
        message_zh_hant="{{ name }} 您好，換胎後已行駛 {{ km_since }} 公里，請領取：{{ offer_url }}",
    )


def _reading(car, km, day):
    MileageReading.objects.create(vehicle=car, km=km, recorded_at=at(day))
    car.last_mileage_km, car.last_mileage_at = km, at(day)
    car.save(update_fields=["last_mileage_km", "last_mileage_at"])


def test_tyres_changed_then_rotation_after_ten_thousand_km_by_claim_link():
    rotation = DefinitionFactory(name="輪胎對調", category=Category.TYRE)
    rule = _tyre_rule(rotation)
    far, near, stale = (OwnedVehicleFactory(owner=owner()) for _ in range(3))
    for car in (far, near, stale):
        served(car, Category.TYRE, on=date(2026, 3, 1), km=20_000)
    _reading(far, 30_500, date(2026, 12, 1))
    _reading(near, 29_000, date(2026, 12, 1))
    _reading(stale, 31_000, date(2026, 9, 1))  # read long ago: the moment passed unseen
    plan = followup_plan(rule, now=NIGHT)
    assert [(c.vehicle_id, c.km_since) for c in plan.candidates] == [(far.pk, 10_500)]
    followups_send(now=NIGHT)
    assert offered(rotation) == []  # a claim link, nothing issued
    body = Notification.objects.get(purpose="follow_up").body
    assert f"/portal/claim/#offer-{rotation.pk}" in body and "10500" in body
    assert FollowUp.objects.get().status == "linked"


def test_the_odometer_at_the_service_comes_from_the_readings_when_the_use_has_none():
    rule = _tyre_rule(DefinitionFactory(category=Category.TYRE))
    car = OwnedVehicleFactory(owner=owner())
    MileageReading.objects.create(vehicle=car, km=15_000, recorded_at=at(date(2026, 2, 20)))
    served(car, Category.TYRE, on=date(2026, 3, 1))
    _reading(car, 25_100, date(2026, 12, 2))
    assert [c.km_since for c in followup_plan(rule, now=NIGHT).candidates] == [10_100]


# --- refusals -----------------------------------------------------------------------------------


def test_no_marketing_consent_is_refused_once_and_nothing_is_issued():
    rule = coating_rule()
    served(OwnedVehicleFactory(owner=MemberFactory(consent_marketing=False)), on=date(2026, 6, 1))
    assert [c.outcome for c in followup_plan(rule, now=NIGHT).candidates] == [Outcome.NO_CONSENT]
    assert followups_send(now=NIGHT)[0] == 0
    follow_up = FollowUp.objects.get()
    assert follow_up.status == "refused" and "consent" in follow_up.reason
    assert offered(rule.definition) == [] and not Notification.objects.exists()
    assert followup_plan(rule, now=NIGHT + timedelta(days=1)).candidates == []  # never again


def test_a_service_rule_needs_service_consent_only():
    coating_rule(promotional=False)
    served(OwnedVehicleFactory(owner=MemberFactory(consent_marketing=False)), on=date(2026, 6, 1))
    followups_send(now=NIGHT)
    assert not Notification.objects.get().promotional and FollowUp.objects.get().status == "issued"


def test_weekly_cap_defers_to_a_later_night(settings):
    settings.NOTIFY_PROMOTIONAL_WEEKLY_CAP = 1
    rule = coating_rule()
    member = owner()
    served(OwnedVehicleFactory(owner=member), on=date(2026, 6, 1))
    Notification.objects.create(
        member=member,
        channel="sms",
        recipient=member.phone,
        purpose="campaign",
        body="已發送",
        promotional=True,
        dedup_key="earlier-promo",
        created_at=NIGHT - timedelta(days=2),
    )
    assert [c.outcome for c in followup_plan(rule, now=NIGHT).candidates] == [Outcome.WEEKLY_CAP]
    assert followups_send(now=NIGHT)[0] == 0
    assert not FollowUp.objects.exists() and offered(rule.definition) == []
    later = NIGHT + timedelta(days=6)  # the earlier message is out of the week; still in the window
    assert followups_send(now=later)[0] == 1
    assert FollowUp.objects.get().status == "issued"


def test_two_rules_for_one_owner_share_the_weekly_cap(settings):
    settings.NOTIFY_PROMOTIONAL_WEEKLY_CAP = 1
    first = coating_rule()
    second = coating_rule(name="鍍膜第二條", definition=DefinitionFactory())
    served(OwnedVehicleFactory(owner=owner()), on=date(2026, 6, 1))
    followups_send(now=NIGHT)
    assert outcomes_after_run(first) and not outcomes_after_run(second)
    assert [c.outcome for c in followup_plan(second, now=NIGHT).candidates] == [Outcome.WEEKLY_CAP]


def test_stock_exhausted_refuses_the_rest():
    rule = coating_rule(DefinitionFactory(stock_total=1))
    early, late = OwnedVehicleFactory(owner=owner()), OwnedVehicleFactory(owner=owner())
    served(early, on=date(2026, 6, 1))
    served(late, on=date(2026, 6, 3))
    plan = followup_plan(rule, now=NIGHT)
    assert [c.outcome for c in plan.candidates] == [Outcome.SEND, Outcome.NO_STOCK]
    assert followups_send(now=NIGHT)[0] == 1
    assert outcomes_after_run(rule) == {early.pk: "issued", late.pk: "refused"}
    assert Notification.objects.count() == 1


def test_quiet_hours_defer_the_message_to_the_morning(settings):
    settings.NOTIFY_QUIET_HOURS = "21:00-09:00"
    coating_rule()
    served(OwnedVehicleFactory(owner=owner()), on=date(2026, 6, 1))
    followups_send(now=NIGHT)
    assert Notification.objects.get().not_before == datetime(2026, 12, 6, 9, 0, tzinfo=TPE)


def test_a_definition_that_cannot_be_offered_stops_the_rule_and_records_nothing():
    rule = coating_rule(DefinitionFactory(status=VoucherDefinition.Status.DRAFT))
    served(OwnedVehicleFactory(owner=owner()), on=date(2026, 6, 1))
    assert followup_plan(rule, now=NIGHT).problem
    assert followups_send(now=NIGHT)[0] == 0 and not FollowUp.objects.exists()


def test_no_owner_no_follow_up():
    from tests.factories import VehicleFactory

    rule = coating_rule()
    served(VehicleFactory(), on=date(2026, 6, 1))
    assert followup_plan(rule, now=NIGHT).candidates == []


# --- once only ----------------------------------------------------------------------------------


def test_already_followed_up_runs_change_nothing():
    rule = coating_rule()
    served(OwnedVehicleFactory(owner=owner()), on=date(2026, 6, 1))
    followups_send(now=NIGHT)
    assert followups_send(now=NIGHT) == (0, None)
    assert followups_send(now=NIGHT + timedelta(days=3)) == (0, None)
    plan = followup_plan(rule, now=NIGHT)
    assert plan.candidates == [] and plan.already == 1
    assert len(offered(rule.definition)) == 1 and Notification.objects.count() == 1


def test_the_nightly_job_is_scheduled_and_resumable():
    assert "send_followups" in {job.name for job in JOBS}
    first_rule, second_rule = coating_rule(), coating_rule(name="第二條")
    served(OwnedVehicleFactory(owner=owner()), on=date(2026, 6, 1))
    # A slice that stopped after the first rule resumes with the second.
    assert followups_send(now=NIGHT, deadline=0) == (1, first_rule.pk)
    assert followups_send(now=NIGHT, cursor=first_rule.pk)[0] == 1
    assert outcomes_after_run(second_rule)
    run = job_run("send_followups")
    assert run.status == "done" and run.result["follow_ups"] == 0


def test_dry_run_equals_what_the_job_then_does(settings):
    settings.NOTIFY_PROMOTIONAL_WEEKLY_CAP = 5
    rule = coating_rule(DefinitionFactory(stock_total=2))
    cars = [OwnedVehicleFactory(owner=owner()) for _ in range(3)]
    cars.append(OwnedVehicleFactory(owner=MemberFactory(consent_marketing=False)))
    for n, car in enumerate(cars):
        served(car, on=date(2026, 6, 1) + timedelta(days=n))
    plan = followup_plan(rule, now=NIGHT)
    expected = {
        c.vehicle_id: {"send": "issued"}.get(c.outcome, "refused")
        for c in plan.candidates
        if c.outcome != Outcome.WEEKLY_CAP
    }
    written, _cursor = followups_send(now=NIGHT)
    assert written == plan.count(Outcome.SEND) == 2
    assert outcomes_after_run(rule) == expected
    assert plan.count(Outcome.NO_CONSENT) == 1 and plan.count(Outcome.NO_STOCK) == 1


# --- back office --------------------------------------------------------------------------------


@pytest.fixture
def operator(client):
    user = UserFactory(username="ops", is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


def test_dry_run_page_shows_the_plan_and_a_sample(client, operator):
    rule = coating_rule()
    car = OwnedVehicleFactory(owner=owner())
    six_months_ago = add_months(timezone.localdate(), -6) - timedelta(days=3)
    served(car, on=six_months_ago)
    served(OwnedVehicleFactory(owner=MemberFactory(consent_marketing=False)), on=six_months_ago)
    page = client.get(reverse("admin:campaigns_followuprule_dry_run", args=[rule.pk]))
    text = page.content.decode()
    assert page.status_code == 200
    assert car.plate in text and "[link to the voucher issued]" in text
    assert not FollowUp.objects.exists() and not Notification.objects.exists()  # nothing done
    action = client.post(
        reverse("admin:campaigns_followuprule_changelist"),
        {"action": "dry_run", "_selected_action": [rule.pk]},
    )
    assert action.status_code == 302 and action.url.endswith(f"/{rule.pk}/dry-run/")


def test_rule_form_refuses_a_broken_template_and_a_rule_without_a_delay(client, operator):
    offer = DefinitionFactory()
    page = client.post(
        reverse("admin:campaigns_followuprule_add"),
        {
            "name": "壞規則",
            "is_active": "on",
            "trigger_category": "coating",
            "after_months": "0",
            "after_days": "0",
            "window_days": "30",
            "mode": "issue",
            "definition": offer.pk,
            "message_zh_hant": "{% if %}",
        },
    )
    assert page.status_code == 200 and not FollowUpRule.objects.exists()
