"""The vehicle page: the car, its owner (masked), usable vouchers first, every other voucher with
the reasons it cannot be used here, services in progress, and the service history."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from redemption.models import Redemption
from redemption.services import redemption_redeem, redemption_start
from tests.factories import (
    DealerStaffFactory,
    DefinitionFactory,
    MemberFactory,
    OwnedVehicleFactory,
    UserFactory,
    VehicleModelFactory,
    issue_voucher,
)
from tests.factories.voucher_states import STATE_REASONS, held_reason, vouchers_in_every_state
from vouchers.models import VoucherDefinition

from .conftest import vehicle_url

pytestmark = pytest.mark.django_db


def section(body: str, testid: str) -> str:
    match = re.search(rf'<section[^>]*data-testid="{testid}".*?</section>', body, re.DOTALL)
    return match.group(0) if match else ""


def test_the_vehicle_and_its_owner_are_shown_with_the_owner_masked(counter):
    owner = MemberFactory(name="王小明", phone="+886912345678")
    car = OwnedVehicleFactory(owner=owner, plate="BCD-5678", plate_key="BCD5678", colour="白")
    redemption_redeem(
        voucher=issue_voucher(DefinitionFactory(), vehicle=car),
        vehicle=car,
        dealer=DealerStaffFactory().dealer,
        idempotency_key="k1",
        mileage_km=23456,
    )
    body = counter.get(vehicle_url(car)).content.decode()
    assert "BCD-5678" in body
    assert car.vin in body
    assert car.model.name in body
    assert "王○明" in body
    assert "0912-***-678" in body
    assert "王小明" not in body
    assert "0912345678" not in body and "+886912345678" not in body
    assert "23,456 km" in body


def test_usable_vouchers_come_first_with_uses_and_expiry(counter, vehicle, voucher, dealer, advisor):
    redemption_redeem(voucher=voucher, vehicle=vehicle, dealer=dealer, advisor=advisor, idempotency_key="a")
    redemption_redeem(voucher=voucher, vehicle=vehicle, dealer=dealer, advisor=advisor, idempotency_key="b")
    expired = issue_voucher(
        DefinitionFactory(name="Old coating"), vehicle=vehicle, now=timezone.now() - timedelta(days=40)
    )
    body = counter.get(vehicle_url(vehicle)).content.decode()
    usable = section(body, "usable")
    assert "Wash pack" in usable
    assert "4 / 6" in usable
    valid_until = timezone.localtime(voucher.valid_until).strftime("%Y-%m-%d")
    assert valid_until in usable
    assert "Old coating" not in usable
    assert body.index('data-testid="usable"') < body.index('data-testid="not-usable"')
    assert f'data-voucher-id="{expired.pk}"' in section(body, "not-usable")


def _reason_rows(body: str, cases: dict) -> dict[str, str]:
    others = section(body, "not-usable")
    rows = {}
    for name, voucher in cases.items():
        row = re.search(rf'data-voucher-id="{voucher.pk}".*?</li>', others, re.DOTALL)
        assert row, f"{name}: voucher missing from the not-usable list"
        rows[name] = re.search(r'data-testid="reasons">(.*?)</p>', row.group(0), re.DOTALL).group(1)
    return rows


def test_every_voucher_that_cannot_be_used_says_why(counter, vehicle, dealer, other_dealer, advisor):
    cases = vouchers_in_every_state(vehicle=vehicle, dealer=dealer, holding_dealer=other_dealer)
    cases["wrong dealer"] = issue_voucher(
        _restricted(DefinitionFactory(name="Kaohsiung only"), dealers=[other_dealer]), vehicle=vehicle
    )
    cases["wrong model"] = issue_voucher(
        _restricted(DefinitionFactory(name="EV only"), models=[VehicleModelFactory(name="EV i4")]),
        vehicle=vehicle,
    )
    expected = {
        **STATE_REASONS,
        "held": held_reason(other_dealer),
        "wrong dealer": "Not valid at this dealer",
        "wrong model": "Not valid for this vehicle model",
    }

    body = counter.get(vehicle_url(vehicle)).content.decode()

    assert section(body, "usable").count('data-testid="usable-voucher"') == 0
    rows = _reason_rows(body, cases)
    for name, reason in expected.items():
        assert rows[name].startswith(reason), f"{name}: {rows[name]!r} instead of {reason!r}"
    # Each state says its own reason: none borrows another's.
    assert len({rows[name] for name in STATE_REASONS}) == len(STATE_REASONS)


def test_the_reasons_read_in_taiwan_wording(vehicle, dealer, other_dealer, advisor):
    cases = vouchers_in_every_state(vehicle=vehicle, dealer=dealer, holding_dealer=other_dealer)
    client = Client(headers={"accept-language": "zh-hant"})
    client.force_login(advisor)

    rows = _reason_rows(client.get(vehicle_url(vehicle)).content.decode(), cases)

    assert rows["inactive"] == "尚未啟用"
    assert rows["locked"] == "已鎖定：退款申請或審查處理中"
    assert other_dealer.name in rows["held"]
    assert not any("激活" in text for text in rows.values())


def _restricted(definition, *, dealers=(), models=()):
    definition.allowed_dealers.add(*dealers)
    definition.allowed_models.add(*models)
    return definition


def test_the_owners_personal_vouchers_are_usable_with_the_car(counter, vehicle):
    owner = vehicle.ownerships.get().member
    personal = issue_voucher(DefinitionFactory(holder_type=VoucherDefinition.HolderType.MEMBER), member=owner)
    someone_elses = issue_voucher(
        DefinitionFactory(holder_type=VoucherDefinition.HolderType.MEMBER), member=MemberFactory()
    )
    body = counter.get(vehicle_url(vehicle)).content.decode()
    usable = section(body, "usable")
    assert f'data-voucher-id="{personal.pk}"' in usable
    assert "Owner&#x27;s personal voucher" in usable or "Owner's personal voucher" in usable
    assert f'data-voucher-id="{someone_elses.pk}"' not in body


def test_a_service_in_progress_here_is_shown_with_complete_and_cancel(
    counter, vehicle, voucher, dealer, advisor
):
    hold = redemption_start(
        voucher=voucher, vehicle=vehicle, dealer=dealer, advisor=advisor, idempotency_key="s", mileage_km=100
    )
    body = counter.get(vehicle_url(vehicle)).content.decode()
    in_service = section(body, "in-service")
    assert f'data-voucher-id="{voucher.pk}"' in in_service
    assert f"/counter/redemptions/{hold.pk}/complete/" in in_service
    assert f"/counter/redemptions/{hold.pk}/cancel/" in in_service
    assert f'data-voucher-id="{voucher.pk}"' not in section(body, "usable")


def test_a_stale_hold_is_marked(counter, vehicle, dealer, settings):
    settings.REDEMPTION_STALE_HOLD_AFTER = timedelta(minutes=30)
    earlier = timezone.now() - timedelta(minutes=31)
    voucher = issue_voucher(DefinitionFactory(), vehicle=vehicle, now=earlier - timedelta(minutes=1))
    redemption_start(voucher=voucher, vehicle=vehicle, dealer=dealer, idempotency_key="s", now=earlier)
    assert "Stale" in section(counter.get(vehicle_url(vehicle)).content.decode(), "in-service")


def test_the_service_history_lists_redemptions_at_every_dealer(
    counter, vehicle, voucher, dealer, other_dealer, advisor, other_advisor
):
    mine = redemption_redeem(
        voucher=voucher,
        vehicle=vehicle,
        dealer=dealer,
        advisor=advisor,
        idempotency_key="1",
        mileage_km=15000,
        work_order="WO-77",
    )
    theirs = redemption_redeem(
        voucher=voucher,
        vehicle=vehicle,
        dealer=other_dealer,
        advisor=other_advisor,
        idempotency_key="2",
        mileage_km=18000,
    )
    history = section(counter.get(vehicle_url(vehicle)).content.decode(), "history")
    assert history.count('data-testid="history-row"') == 2
    for text in (dealer.name, other_dealer.name, "SA Lin", "SA Wu", "15,000", "18,000", "WO-77"):
        assert text in history
    assert timezone.localtime(mine.started_at).strftime("%Y-%m-%d %H:%M") in history
    # Receipts are links only for this dealer's own redemptions.
    assert f"/counter/redemptions/{mine.pk}/" in history
    assert f"/counter/redemptions/{theirs.pk}/" not in history


def test_the_service_history_names_advisors_and_vouchers_as_every_page_does(
    counter, vehicle, dealer, other_dealer
):
    # The rows are read as columns, not objects: the names follow the same rules
    # (redemption.selectors.advisor_label, VoucherDefinition.title).
    no_staff_row = UserFactory(username="walk-in-sa")
    titled = issue_voucher(
        DefinitionFactory(name="Wash (internal)", card_title="Premium wash"), vehicle=vehicle
    )
    untitled = issue_voucher(DefinitionFactory(name="Tyre check", card_title=""), vehicle=vehicle)
    redemption_redeem(
        voucher=titled, vehicle=vehicle, dealer=dealer, advisor=no_staff_row, idempotency_key="1"
    )
    redemption_redeem(voucher=untitled, vehicle=vehicle, dealer=other_dealer, idempotency_key="2")
    rows = re.findall(
        r'<tr data-testid="history-row">(.*?)</tr>',
        section(counter.get(vehicle_url(vehicle)).content.decode(), "history"),
        re.DOTALL,
    )
    cells = [[cell.strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.DOTALL)] for row in rows]
    # Newest first: dealer, advisor, voucher title in the 2nd, 3rd and 4th cells.
    assert [row[1:4] for row in cells] == [
        [other_dealer.name, "—", "Tyre check"],
        [dealer.name, "walk-in-sa", "Premium wash"],
    ]
    assert 'status--completed">Completed<' in rows[0]


def test_a_history_status_outside_the_choices_is_shown_as_stored_not_a_500(counter, vehicle, voucher, dealer):
    # As get_status_display() would: nothing in the database limits the column to the choices.
    done = redemption_redeem(voucher=voucher, vehicle=vehicle, dealer=dealer, idempotency_key="1")
    Redemption.objects.filter(pk=done.pk).update(status="migrated")
    response = counter.get(vehicle_url(vehicle))
    assert response.status_code == 200
    assert 'status--migrated">migrated<' in section(response.content.decode(), "history")


def test_a_scanned_voucher_is_highlighted_and_its_mileage_field_focused(counter, vehicle, voucher):
    body = counter.get(vehicle_url(vehicle, voucher)).content.decode()
    assert 'data-testid="scanned"' in body
    assert re.search(rf'id="mileage-{voucher.pk}"[^>]*autofocus', body, re.DOTALL)
    assert not re.search(r'id="counter-q"[^>]*autofocus', body)


def test_without_a_scan_the_search_box_keeps_the_focus(counter, vehicle, voucher):
    body = counter.get(vehicle_url(vehicle)).content.decode()
    assert re.search(r'id="counter-q"[^>]*autofocus', body, re.DOTALL)
    assert "autofocus" not in body.split('id="counter-q"', 1)[1].split("</form>", 1)[1]


def test_a_scanned_voucher_that_cannot_be_used_says_why_at_the_top(counter, vehicle):
    expired = issue_voucher(DefinitionFactory(), vehicle=vehicle, now=timezone.now() - timedelta(days=40))
    body = counter.get(vehicle_url(vehicle, expired)).content.decode()
    notice = re.search(r'data-testid="scanned".*?</section>', body, re.DOTALL).group(0)
    assert "cannot be used here" in notice
    assert "Expired" in notice


def _vehicle_with_vouchers(count: int, *, dealer, other_dealer):
    """A car with `count` vouchers of every kind the page distinguishes."""
    owner = MemberFactory()
    car = OwnedVehicleFactory(owner=owner)
    plain = DefinitionFactory(uses_per_voucher=3)
    restricted = _restricted(DefinitionFactory(), dealers=[other_dealer], models=[car.model])
    personal = DefinitionFactory(holder_type=VoucherDefinition.HolderType.MEMBER)
    issue_voucher(personal, member=owner)
    held_here = issue_voucher(plain, vehicle=car)
    held_there = issue_voucher(plain, vehicle=car)
    redemption_start(voucher=held_here, vehicle=car, dealer=dealer, idempotency_key="h1")
    redemption_start(voucher=held_there, vehicle=car, dealer=other_dealer, idempotency_key="h2")
    redemption_redeem(
        voucher=issue_voucher(restricted, vehicle=car), vehicle=car, dealer=other_dealer, idempotency_key="r"
    )
    remaining = count - 4
    while remaining > 0:
        batch = min(remaining, 100)
        issue_voucher(plain if remaining % 2 else restricted, vehicle=car, quantity=batch)
        remaining -= batch
    return car


# Session; the user with their dealer role; the vehicle with its model, owner, drivers' ids and the
# owner panel's columns (redemption/owner_panel.py: every provider's, no query of their own); the
# vouchers with their definitions and open holds; the definitions' allowed models and dealers; the
# service history; the workshop visits; and for an owned car the owner's recent visits and
# redemptions. Issue 15's target for the counter's vehicle page is 8.
MAX_VEHICLE_PAGE_QUERIES = 8
MAX_UNOWNED_VEHICLE_PAGE_QUERIES = MAX_VEHICLE_PAGE_QUERIES - 1


def test_the_vehicle_page_of_a_car_nobody_owns_costs_one_query_less(counter, django_assert_max_num_queries):
    from tests.factories import VehicleFactory

    car = VehicleFactory()
    issue_voucher(DefinitionFactory(), vehicle=car)
    counter.get(vehicle_url(car))  # the first request of a session also writes the session
    with django_assert_max_num_queries(MAX_UNOWNED_VEHICLE_PAGE_QUERIES):
        response = counter.get(vehicle_url(car))
    assert response.context["page"].owner is None
    assert response.context["owner_panel"] is None


def test_the_vehicle_page_costs_the_same_queries_for_1_or_300_vouchers(
    counter, dealer, other_dealer, django_assert_max_num_queries
):
    single = OwnedVehicleFactory()
    issue_voucher(DefinitionFactory(), vehicle=single)
    few = _vehicle_with_vouchers(5, dealer=dealer, other_dealer=other_dealer)
    many = _vehicle_with_vouchers(300, dealer=dealer, other_dealer=other_dealer)
    counter.get(vehicle_url(single))  # the first request of a session also writes the session

    with django_assert_max_num_queries(MAX_VEHICLE_PAGE_QUERIES):
        assert counter.get(vehicle_url(single)).status_code == 200
    with CaptureQueriesContext(connection) as five:
        assert counter.get(vehicle_url(few)).status_code == 200
    with django_assert_max_num_queries(MAX_VEHICLE_PAGE_QUERIES) as three_hundred:
        response = counter.get(vehicle_url(many))
    assert len(three_hundred.captured_queries) == len(five.captured_queries)

    body = response.content.decode()
    shown = sum(
        body.count(f'data-testid="{kind}"') for kind in ("usable-voucher", "other-voucher", "held-voucher")
    )
    assert shown == 300


def test_workshop_visits_from_the_dms_show_beside_the_redemptions(counter, vehicle, other_dealer):
    from datetime import date

    from vehicles.models import Visit
    from vehicles.services import Origin, visit_record

    visit_record(
        vehicle=vehicle,
        dealer=other_dealer,
        visited_on=date(2026, 3, 1),
        repair_order="RO-4711",
        kind=Visit.Kind.BODYWORK,
        mileage_km=21000,
        origin=Origin(source=Visit.Source.IMPORT, label="dms.csv"),
    )

    visits = section(counter.get(vehicle_url(vehicle)).content.decode(), "visits")

    assert visits.count('data-testid="visit-row"') == 1
    for text in ("2026-03-01", other_dealer.name, "RO-4711", "21,000"):
        assert text in visits


def test_the_service_history_escapes_what_it_prints(counter, vehicle, voucher, other_dealer, other_advisor):
    # The rows are written by a template tag in Python (redemption/templatetags/counter_history.py).
    other_dealer.name = 'A&B <b class="x">Garage</b>'
    other_dealer.save(update_fields=["name"])
    redemption_redeem(
        voucher=voucher,
        vehicle=vehicle,
        dealer=other_dealer,
        advisor=other_advisor,
        idempotency_key="1",
        mileage_km=1234567,
    )
    history = section(counter.get(vehicle_url(vehicle)).content.decode(), "history")
    assert "A&amp;B &lt;b class=&quot;x&quot;&gt;Garage&lt;/b&gt;" in history
    assert '<b class="x">' not in history
    assert "1,234,567" in history
    assert "<td>—</td>" in history  # no work order
