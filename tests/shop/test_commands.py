"""create_order for phone orders, and the settling job as a command and a schedule."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from campaigns.schedules import JOBS
from tests.factories import MemberFactory, OwnedVehicleFactory, pack
from tests.factories.staff import use_english
from vouchers.models import Order

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(settings):
    use_english(settings)


def _create(*args) -> str:
    out = StringIO()
    call_command("create_order", *args, stdout=out)
    return out.getvalue().strip()


def test_a_phone_order_prints_its_number_and_waits_for_payment():
    member = MemberFactory(phone="+886912345678")
    car = OwnedVehicleFactory(owner=member)
    bundle = pack()

    number = _create("--phone", "0912-345-678", "--vin", car.vin, "--item", bundle.code, "--quantity", "2")

    order = Order.objects.get(number=number)
    assert (order.member, order.vehicle, order.quantity, order.channel) == (member, car, 2, "phone")
    assert order.status == Order.Status.PENDING


@pytest.mark.parametrize(
    ("phone", "vin", "item", "quantity", "message"),
    [
        ("0912-000-000", None, "wash-pack", "1", "No member"),
        ("0912-345-678", "WDD00000000000000", "wash-pack", "1", "No vehicle"),
        ("0912-345-678", None, "no-such-item", "1", "Nothing on sale"),
        ("0912-345-678", None, "wash-pack", "0", "quantity"),
        ("0912-345-678", None, "wash-pack", "10000", "quantity"),
    ],
)
def test_bad_input_gets_a_clear_answer_and_no_order(phone, vin, item, quantity, message):
    member = MemberFactory(phone="+886912345678")
    car = OwnedVehicleFactory(owner=member)
    pack()
    with pytest.raises(CommandError, match=message):
        _create("--phone", phone, "--vin", vin or car.vin, "--item", item, "--quantity", quantity)
    assert not Order.objects.exists()


def test_another_owners_car_is_refused():
    MemberFactory(phone="+886912345678")
    strangers = OwnedVehicleFactory(owner=MemberFactory())
    with pytest.raises(CommandError):
        _create("--phone", "0912345678", "--vin", strangers.vin, "--item", pack().code)


def test_the_settling_job_runs_every_five_minutes_and_as_a_command(ecpay):
    job = next(j for j in JOBS if j.name == "settle_pending_orders")
    assert job.cron == "*/5 * * * *" and job.func == "shop.tasks.settle_pending_orders"
    out = StringIO()
    call_command("settle_pending_orders", stdout=out)
    assert "paid: 0" in out.getvalue()
