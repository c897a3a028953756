"""The 360° owner panel on the counter's vehicle page: tier and points, last NPS, open refund and
binding requests, contact preferences, recent visits and redemptions; what an advisor of another
dealer sees; and its cost (no query of its own besides the recent services)."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from campaigns.services.nps import nps_survey_answer, nps_survey_send
from loyalty.models import PointsEntry, TierLevel
from loyalty.services import points_credit, tier_evaluate
from members.actors import Actor
from members.models import Channel
from redemption import owner_panel
from redemption.owner_panel import OwnerFact, PanelProvider, PanelScope, owner_panel_facts
from redemption.services import redemption_redeem
from shop.services import order_payment_record, order_refund_request
from tests.factories import (
    DefinitionFactory,
    MemberFactory,
    OwnedVehicleFactory,
    VehicleFactory,
    issue_voucher,
    raise_alert,
)
from tests.shop.conftest import place_order
from vehicles.models import Ownership, Visit
from vehicles.services import Origin, binding_request_submit, vehicle_transfer_ownership, visit_record
from vehicles.services.alerts import alert_close
from vouchers.services import voucher_refund_request

from .conftest import vehicle_url
from .test_vehicle_page import MAX_VEHICLE_PAGE_QUERIES, section

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")
DMS = Origin(source=Visit.Source.IMPORT, label="dms.csv")


def fact(body: str, key: str) -> str | None:
    match = re.search(rf'data-testid="owner-{key}">([^<]*)<', body)
    return match.group(1) if match else None


def detail(body: str, key: str) -> str:
    match = re.search(rf'data-testid="owner-{key}-detail">([^<]*)<', body)
    return match.group(1) if match else ""


def _redeem(car, dealer, *, key, when=None, definition=None, advisor=None):
    voucher = issue_voucher(definition or DefinitionFactory(), vehicle=car, now=when)
    return redemption_redeem(
        voucher=voucher, vehicle=car, dealer=dealer, advisor=advisor, idempotency_key=key, now=when
    )


def _answer_survey(redemption, *, score, comment=""):
    survey = nps_survey_send(redemption_id=redemption.pk)
    return nps_survey_answer(token=survey.link_token, score=score, comment=comment)


@pytest.fixture
def owner():
    return MemberFactory(
        consent_service=True, consent_marketing=False, preferred_channel=Channel.LINE, line_user_id="U123"
    )


@pytest.fixture
def car(owner):
    return OwnedVehicleFactory(owner=owner, plate="OWN-1001", plate_key="OWN1001")


@pytest.fixture
def full_panel(owner, car, dealer, other_dealer):
    """The owner has data for every provider: tier and points, an NPS answer, a voucher refund, an
    order refund, a binding request, and services on two of their cars."""
    TierLevel.objects.update_or_create(rank=1, defaults={"name": "Classic", "spend_twd": 0, "visits": 0})
    tier_evaluate(member=owner)
    points_credit(member=owner, kind=PointsEntry.Kind.BONUS, points=1_250, key="panel", actor=SYSTEM)
    visit_record(
        vehicle=car,
        dealer=other_dealer,
        visited_on=timezone.localdate(),
        repair_order="RO-1",
        kind=Visit.Kind.BODYWORK,
        mileage_km=21_000,
        origin=DMS,
    )
    second_car = OwnedVehicleFactory(owner=owner, plate="OWN-2002", plate_key="OWN2002")
    _redeem(second_car, dealer, key="second")
    redemption = _redeem(car, other_dealer, key="nps")
    _answer_survey(redemption, score=4, comment="Waited two hours")
    voucher_refund_request(
        voucher=issue_voucher(DefinitionFactory(refundable=True), vehicle=car), member=owner, reason="moving"
    )
    order = order_payment_record(order=place_order(owner, car), method="cash", reference="C-1", actor=SYSTEM)
    order_refund_request(order=order, member=owner, reason="changed my mind")
    binding_request_submit(member=owner, vin=VehicleFactory.build().vin, plate="NEW-3003")
    # Open alerts on the owner's other car count (this car's own open alerts are listed on the page,
    # at one query more: tests/redemption/counter/test_vehicle_alerts.py); a closed one and another
    # owner's do not.
    raise_alert(second_car, alert_id="P-1")
    raise_alert(second_car, alert_id="P-2", kind="battery")
    alert_close(alert=raise_alert(car, alert_id="P-3", kind="oil_life"), advisor=None, reason="changed")
    raise_alert(OwnedVehicleFactory(), alert_id="P-4")
    return second_car


def test_the_panel_shows_every_kind_of_fact_about_the_owner(counter, car, full_panel, other_dealer):
    body = counter.get(vehicle_url(car)).content.decode()
    panel = section(body, "owner-panel")

    assert fact(panel, "tier") == "Classic"
    assert fact(panel, "points") == "1,250"
    assert fact(panel, "nps") == "4 / 10"
    today = timezone.localdate().strftime("%Y-%m-%d")
    assert detail(panel, "nps").startswith(f"{today} · {other_dealer.name}")
    # A voucher refund and an order refund (its vouchers are not counted again), and one binding.
    assert fact(panel, "refunds") == "2 waiting"
    assert detail(panel, "refunds") == f"since {today}"
    assert fact(panel, "bindings") == "1 waiting"
    assert fact(panel, "alerts") == "2 open"
    assert detail(panel, "alerts") == f"since {today}"
    assert fact(panel, "channel") == "LINE"
    assert fact(panel, "consent") == "service reminders"
    # Waiting requests and a detractor's score are marked for the advisor's attention.
    for key in ("nps", "refunds", "bindings", "alerts"):
        assert re.search(rf'<div class="is-attention"><dt>[^<]*</dt><dd data-testid="owner-{key}"', panel)
    for key in ("tier", "points", "channel", "consent"):
        assert not re.search(rf'<div class="is-attention"><dt>[^<]*</dt><dd data-testid="owner-{key}"', panel)


def test_recent_visits_and_redemptions_of_all_the_owners_cars_are_merged_newest_first(
    counter, car, owner, dealer, other_dealer
):
    now = timezone.now() - timedelta(days=10)
    second_car = OwnedVehicleFactory(owner=owner, plate="OWN-2002", plate_key="OWN2002")
    Ownership.objects.filter(member=owner).update(started_at=now)  # owned for ten days
    wash = DefinitionFactory(name="Hand wash", card_title="")
    _redeem(car, dealer, key="d1", when=now + timedelta(days=1), definition=wash)
    visit_record(
        vehicle=second_car,
        dealer=other_dealer,
        visited_on=timezone.localdate(now + timedelta(days=2)),
        repair_order="RO-9",
        kind=Visit.Kind.MAINTENANCE,
        origin=DMS,
    )
    for day in (3, 4, 5):
        _redeem(car, other_dealer, key=f"d{day}", when=now + timedelta(days=day), definition=wash)

    def shown():
        panel = section(counter.get(vehicle_url(car)).content.decode(), "owner-panel")
        return [
            (kind, re.search(r'datetime="([\d-]+)"', line).group(1))
            for kind, line in re.findall(r'<li data-testid="recent-(\w+)">(.*?)</li>', panel, re.DOTALL)
        ]

    def day(n):
        return timezone.localdate(now + timedelta(days=n)).isoformat()

    assert shown() == [
        ("redemption", day(5)),
        ("redemption", day(4)),
        ("redemption", day(3)),
        ("visit", day(2)),
        ("redemption", day(1)),
    ]
    _redeem(car, other_dealer, key="d6", when=now + timedelta(days=6), definition=wash)
    assert shown()[0] == ("redemption", day(6))
    assert ("redemption", day(1)) not in shown()  # the last five only


def test_services_before_the_owner_bought_the_car_are_not_theirs(counter, dealer, other_dealer):
    seller, buyer = MemberFactory(), MemberFactory()
    car = OwnedVehicleFactory(owner=seller)
    visit_record(
        vehicle=car,
        dealer=other_dealer,
        visited_on=timezone.localdate() - timedelta(days=30),
        repair_order="RO-OLD",
        origin=DMS,
    )
    _redeem(car, dealer, key="old", when=timezone.now() - timedelta(minutes=5))
    vehicle_transfer_ownership(vehicle=car, new_owner=buyer, actor=SYSTEM)

    body = counter.get(vehicle_url(car)).content.decode()

    assert 'data-testid="recent-' not in section(body, "owner-panel")
    assert 'data-testid="owner-panel"' in body
    assert "RO-OLD" in section(body, "visits")  # the car's own history still shows everything


def test_the_visit_of_another_car_shows_with_a_link_to_that_car(counter, car, owner, other_dealer):
    second_car = OwnedVehicleFactory(owner=owner, plate="OWN-2002", plate_key="OWN2002")
    visit_record(
        vehicle=second_car,
        dealer=other_dealer,
        visited_on=timezone.localdate(),
        repair_order="RO-9",
        kind=Visit.Kind.MAINTENANCE,
        mileage_km=30_500,
        origin=DMS,
    )
    panel = section(counter.get(vehicle_url(car)).content.decode(), "owner-panel")
    line = re.search(r'<li data-testid="recent-visit">(.*?)</li>', panel, re.DOTALL).group(1)
    for text in ("OWN-2002", "Maintenance", other_dealer.name, "30,500 km", timezone.localdate().isoformat()):
        assert text in line
    assert f'href="{vehicle_url(second_car)}"' in line


def test_an_owner_without_any_data_shows_an_empty_but_complete_panel(counter):
    quiet = MemberFactory(consent_service=False, consent_marketing=False, preferred_channel=Channel.SMS)
    car = OwnedVehicleFactory(owner=quiet)

    panel = section(counter.get(vehicle_url(car)).content.decode(), "owner-panel")

    assert (fact(panel, "tier"), fact(panel, "points"), fact(panel, "nps")) == ("—", "0", "—")
    assert (fact(panel, "refunds"), fact(panel, "bindings"), fact(panel, "alerts")) == ("None",) * 3
    assert fact(panel, "channel") == "SMS"
    # No consent at all: the advisor must not promise a message.
    assert fact(panel, "consent") == "None: do not send messages"
    assert 'data-testid="recent-' not in panel
    assert "No visit or redemption" in panel


def test_an_advisor_of_another_dealer_sees_the_score_but_not_the_comment_nor_the_receipts(
    counter, other_counter, car, dealer, other_dealer, advisor
):
    mine = _redeem(car, dealer, key="mine", advisor=advisor)
    _answer_survey(mine, score=9, comment="Lin explained everything")

    here = section(counter.get(vehicle_url(car)).content.decode(), "owner-panel")
    there = section(other_counter.get(vehicle_url(car)).content.decode(), "owner-panel")

    assert fact(here, "nps") == fact(there, "nps") == "9 / 10"
    assert "Lin explained everything" in detail(here, "nps")
    assert "Lin explained everything" not in there
    assert dealer.name in detail(there, "nps")  # which dealer the score is about is no secret
    # The redemption is in both timelines; only its own dealer gets the receipt link.
    receipt = f'href="/counter/redemptions/{mine.pk}/"'
    assert receipt in here
    assert receipt not in there
    assert there.count('data-testid="recent-redemption"') == 1


def test_the_comment_of_another_dealers_survey_stays_hidden_from_this_dealer(counter, car, other_dealer):
    theirs = _redeem(car, other_dealer, key="theirs")
    _answer_survey(theirs, score=10, comment="Great coffee")

    panel = section(counter.get(vehicle_url(car)).content.decode(), "owner-panel")

    assert fact(panel, "nps") == "10 / 10"
    assert "Great coffee" not in panel
    assert not re.search(r'<div class="is-attention"><dt>[^<]*</dt><dd data-testid="owner-nps"', panel)


def test_an_owner_whose_personal_data_was_erased_shows_no_panel(counter, car, owner):
    from members.services import erasure_request_create
    from portal.services import member_erase

    request, _ = erasure_request_create(member=owner)
    member_erase(erasure_request=request, actor=None, reason="owner asked")

    response = counter.get(vehicle_url(car))

    assert response.context["owner_panel"] is None
    assert 'data-testid="owner-panel"' not in response.content.decode()


def test_a_car_nobody_owns_has_no_panel(counter):
    car = VehicleFactory()
    assert 'data-testid="owner-panel"' not in counter.get(vehicle_url(car)).content.decode()


def test_a_form_sent_back_with_errors_still_shows_the_panel(counter, car, full_panel):
    from .conftest import page_token, use_url

    voucher = issue_voucher(DefinitionFactory(), vehicle=car)
    token = page_token(counter, car, voucher)
    response = counter.post(use_url(car, voucher), {"token": token, "mileage": "lots", "action": "redeem"})

    assert response.status_code == 200
    panel = section(response.content.decode(), "owner-panel")
    assert (fact(panel, "points"), fact(panel, "refunds")) == ("1,250", "2 waiting")


# --- cost -----------------------------------------------------------------------------------------


def test_every_provider_is_registered():
    assert {"loyalty", "nps", "requests", "contact"} <= set(owner_panel._providers)


def test_the_full_panel_keeps_the_vehicle_page_within_its_budget(
    counter, car, full_panel, django_assert_max_num_queries
):
    bare = OwnedVehicleFactory()
    issue_voucher(DefinitionFactory(), vehicle=bare)
    counter.get(vehicle_url(bare))  # the first request of a session also writes the session
    with CaptureQueriesContext(connection) as empty:
        counter.get(vehicle_url(bare))

    with django_assert_max_num_queries(MAX_VEHICLE_PAGE_QUERIES) as full:
        response = counter.get(vehicle_url(car))

    # Every provider has something to show, at no cost of its own: the same queries as an empty panel.
    assert len(full.captured_queries) == len(empty.captured_queries)
    panel = section(response.content.decode(), "owner-panel")
    for key in ("tier", "points", "nps", "refunds", "bindings", "channel", "consent"):
        assert fact(panel, key) not in (None, "—", "None", "0")
    assert panel.count('data-testid="recent-') == 3  # a visit and a redemption here, one on the other car


def test_a_new_provider_adds_columns_not_queries(
    counter, car, owner, monkeypatch, django_assert_max_num_queries
):
    from django.db.models import Count, Subquery

    from vouchers.models import Voucher

    def annotate(owner_id, scope):
        held = Voucher.objects.filter(member_id=owner_id).order_by().values("member_id")
        return {"held": Subquery(held.annotate(n=Count("pk")).values("n"))}

    def present(owner, columns, scope):
        return [OwnerFact(label="Held", value=str(columns["held"] or 0), key="held")]

    from vouchers.models import VoucherDefinition

    issue_voucher(DefinitionFactory(holder_type=VoucherDefinition.HolderType.MEMBER), member=owner)
    monkeypatch.setattr(owner_panel, "_providers", dict(owner_panel._providers))
    extra = PanelProvider(name="extra", order=99, annotate=annotate, present=present)
    owner_panel.owner_panel_register(extra)
    counter.get(vehicle_url(car))

    with django_assert_max_num_queries(MAX_VEHICLE_PAGE_QUERIES):
        body = counter.get(vehicle_url(car)).content.decode()
    assert fact(body, "held") == "1"


def test_without_the_vehicle_row_the_panel_reads_its_columns_in_one_query(car, owner, full_panel, dealer):
    scope = PanelScope(dealer_id=dealer.pk, now=timezone.now())
    with CaptureQueriesContext(connection) as read:
        facts = owner_panel_facts(owner, scope=scope)
    assert len(read.captured_queries) == 1
    assert {f.key: f.value for f in facts}["points"] == "1,250"


def test_a_provider_name_must_be_a_plain_identifier(monkeypatch):
    monkeypatch.setattr(owner_panel, "_providers", dict(owner_panel._providers))
    for bad in ("two words", "a__b", ""):
        with pytest.raises(ValueError):
            owner_panel.owner_panel_register(
                PanelProvider(name=bad, order=1, annotate=lambda o, s: {}, present=lambda o, c, s: [])
            )
    # Registering again under the same name replaces (a second `ready()` adds nothing).
    before = len(owner_panel._providers)
    provider = owner_panel._providers["contact"]
    owner_panel.owner_panel_register(provider)
    assert len(owner_panel._providers) == before


def test_the_panel_speaks_taiwanese_mandarin(car, full_panel, other_advisor):
    from django.test import Client

    client = Client(headers={"accept-language": "zh-hant"})
    client.force_login(other_advisor)  # the NPS answer is about their dealer: its comment shows
    panel = section(client.get(vehicle_url(car)).content.decode(), "owner-panel")

    assert "車主概覽" in panel and "近期進廠與核銷" in panel
    assert fact(panel, "refunds") == "2 件待處理"
    assert fact(panel, "consent") == "保養提醒"
    assert "「Waited two hours」" in detail(panel, "nps")
    assert "進廠：" in panel
