"""At the counter a mileage below the car's last reading is refused on the form (translated, nothing
changed) unless the advisor marks an odometer replacement and gives the reason."""

import pytest
from django.test import Client
from django.urls import reverse

from redemption.models import Redemption
from vehicles.models import MileageReading

from .conftest import form_token, page_token, use_url

pytestmark = pytest.mark.django_db
LAST = 13_201


@pytest.fixture
def car(vehicle):
    vehicle.last_mileage_km = LAST
    vehicle.save(update_fields=["last_mileage_km"])
    return vehicle


def redeem(client, vehicle, voucher, token, **fields):
    data = {"token": token, "work_order": "", "action": "redeem", **fields}
    return client.post(use_url(vehicle, voucher), data)


def errors_of(response) -> list[str]:
    return [str(e) for form_errors in response.context["bound_form"].errors.values() for e in form_errors]


def nothing_changed(voucher, vehicle) -> bool:
    voucher.refresh_from_db()
    vehicle.refresh_from_db()
    return (
        voucher.uses_left == 6
        and not Redemption.objects.exists()
        and not MileageReading.objects.exists()
        and vehicle.last_mileage_km == LAST
    )


def test_the_field_says_what_it_expects(counter, car, voucher):
    body = counter.get(reverse("counter:vehicle", args=[car.pk])).content.decode()
    assert f'placeholder="≥ {LAST}"' in body
    assert 'name="odometer_replaced"' in body and 'name="odometer_replacement_reason"' in body


@pytest.mark.parametrize("action", ["redeem", "start"])
def test_a_mileage_below_the_last_reading_is_refused_on_the_form(counter, car, voucher, action):
    token = page_token(counter, car, voucher)

    response = redeem(counter, car, voucher, token, mileage="13,000", action=action)

    assert response.status_code == 200
    assert any("13,000 km is below this car's last reading of 13,201 km" in e for e in errors_of(response))
    assert nothing_changed(voucher, car)
    # The form keeps the first attempt's token: corrected, it goes through once.
    assert form_token(response.content.decode(), use_url(car, voucher)) == token
    assert redeem(counter, car, voucher, token, mileage="13,300", action=action).status_code == 302
    assert Redemption.objects.count() == 1


def test_the_refusal_reads_in_zh_hant(advisor, car, voucher):
    client = Client(headers={"accept-language": "zh-hant"})
    client.force_login(advisor)

    response = redeem(client, car, voucher, page_token(client, car, voucher), mileage="13000")

    assert any("低於此車上次紀錄的 13,201 公里" in e for e in errors_of(response))
    assert nothing_changed(voucher, car)


@pytest.mark.parametrize("mileage", [str(LAST), "13,500"])
def test_a_mileage_equal_to_or_above_the_last_reading_is_accepted(counter, car, voucher, mileage):
    response = redeem(counter, car, voucher, page_token(counter, car, voucher), mileage=mileage)

    assert response.status_code == 302
    assert Redemption.objects.get().mileage_km == int(mileage.replace(",", ""))


def test_an_odometer_replacement_with_a_reason_is_accepted_and_recorded(counter, advisor, car, voucher):
    response = redeem(
        counter,
        car,
        voucher,
        page_token(counter, car, voucher),
        mileage="150",
        odometer_replaced="on",
        odometer_replacement_reason="Instrument cluster replaced",
    )

    assert response.status_code == 302
    reading = MileageReading.objects.get()
    assert (reading.km, reading.odometer_replaced, reading.replacement_reason, reading.recorded_by) == (
        150,
        True,
        "Instrument cluster replaced",
        advisor,
    )
    car.refresh_from_db()
    assert car.last_mileage_km == 150


def test_an_odometer_replacement_without_a_reason_is_refused_on_the_form(counter, car, voucher):
    response = redeem(
        counter, car, voucher, page_token(counter, car, voucher), mileage="150", odometer_replaced="on"
    )

    assert response.status_code == 200
    assert response.context["bound_form"].errors["odometer_replacement_reason"] == [
        "Give the reason the odometer was replaced."
    ]
    assert nothing_changed(voucher, car)


def test_a_reason_without_the_replacement_mark_does_not_let_a_lower_mileage_through(counter, car, voucher):
    response = redeem(
        counter,
        car,
        voucher,
        page_token(counter, car, voucher),
        mileage="150",
        odometer_replacement_reason="Instrument cluster replaced",
    )

    assert response.status_code == 200
    assert nothing_changed(voucher, car)


def test_completing_below_the_last_reading_is_refused_on_the_receipts_form(counter, car, voucher):
    redeem(counter, car, voucher, page_token(counter, car, voucher), mileage=str(LAST), action="start")
    hold = Redemption.objects.get()
    receipt = counter.get(reverse("counter:receipt", args=[hold.pk])).content.decode()
    token = form_token(receipt, reverse("counter:complete", args=[hold.pk]))

    response = counter.post(reverse("counter:complete", args=[hold.pk]), {"token": token, "mileage": "9000"})

    assert response.status_code == 200
    assert any(
        "below this car's last reading" in str(e) for e in response.context["complete_form"].errors["mileage"]
    )
    hold.refresh_from_db()
    assert hold.status == Redemption.Status.HELD
