"""An advisor of dealer A can neither see nor act on dealer B's counter work: every counter URL that
carries an id answers 404 for a foreign or unknown id, even with a correctly signed form token."""

import pytest
from django.urls import URLPattern, reverse

from redemption import urls as counter_urls
from redemption.models import Redemption
from redemption.presentation import (
    CANCEL_ACTION,
    COMPLETE_ACTION,
    REVERSE_ACTION,
    USE_ACTION,
    redemption_target,
    use_target,
)
from redemption.services import redemption_redeem, redemption_start
from redemption.tokens import form_token_issue
from shop.selectors import shop_product
from shop.services import order_create
from tests.factories import DefinitionFactory, OwnedVehicleFactory, issue_voucher, pack, raise_alert
from vehicles.models import VehicleAlert
from vouchers.models import LedgerEntry

from .conftest import grant_reversal, signed_in

pytestmark = pytest.mark.django_db

MISSING = 987654321

# Counter pages that carry no id of anything: nothing foreign can be put in their URL.
WITHOUT_IDS = {"home", "login", "logout", "health", "search"}


@pytest.fixture
def foreign(other_dealer, other_advisor):
    """Dealer B's work on a car: a completed redemption and a service in progress."""
    car = OwnedVehicleFactory()
    pack = DefinitionFactory(uses_per_voucher=5)
    voucher = issue_voucher(pack, vehicle=car)
    completed = redemption_redeem(
        voucher=voucher, vehicle=car, dealer=other_dealer, advisor=other_advisor, idempotency_key="b1"
    )
    held = redemption_start(
        voucher=issue_voucher(pack, vehicle=car),
        vehicle=car,
        dealer=other_dealer,
        advisor=other_advisor,
        idempotency_key="b2",
    )
    return {"car": car, "voucher": voucher, "completed": completed, "held": held, "dealer": other_dealer}


def _requests(user, foreign, other_advisor):
    """(pattern name, method, url, data) for every foreign or unknown id each pattern can carry."""
    car, voucher = foreign["car"], foreign["voucher"]
    unrelated = issue_voucher(DefinitionFactory(), vehicle=OwnedVehicleFactory())

    def token(action, target):
        return {"token": form_token_issue(user_id=user.pk, action=action, target=target), "mileage": "100"}

    sold_elsewhere = order_create(
        member=car.ownerships.get().member,
        vehicle=car,
        product=shop_product("pack", pack().code, counter=True),
        quantity=1,
        channel="counter",
        dealer=foreign["dealer"],
    )
    requests = [
        ("today", "get", reverse("counter:today"), {"advisor": other_advisor.pk}),
        ("vehicle", "get", reverse("counter:vehicle", args=[MISSING]), {}),
        ("sale", "get", reverse("counter:sale", args=[MISSING]), {}),
        ("sale", "post", reverse("counter:sale", args=[MISSING]), {}),
        ("sale_receipt", "get", reverse("counter:sale_receipt", args=[sold_elsewhere.number]), {}),
        ("sale_receipt", "get", reverse("counter:sale_receipt", args=["SV000000MISSING"]), {}),
    ]
    for vehicle_id, voucher_id in ((MISSING, voucher.pk), (car.pk, unrelated.pk), (car.pk, MISSING)):
        requests.append(
            (
                "use",
                "post",
                reverse("counter:use", args=[vehicle_id, voucher_id]),
                token(USE_ACTION, use_target(voucher_id=voucher_id, vehicle_id=vehicle_id)),
            )
        )
    # A car's alerts are every counter's (like the car's page); an alert is closed only through its
    # own car's URL.
    other_cars_alert = raise_alert(OwnedVehicleFactory())
    for vehicle_id, alert_id in (
        (MISSING, other_cars_alert.pk),
        (car.pk, other_cars_alert.pk),
        (car.pk, MISSING),
    ):
        requests.append(
            (
                "alert_close",
                "post",
                reverse("counter:alert_close", args=[vehicle_id, alert_id]),
                {"reason": "x"},
            )
        )
    for redemption_id in (foreign["completed"].pk, foreign["held"].pk, MISSING):
        target = redemption_target(redemption_id)
        requests += [
            ("receipt", "get", reverse("counter:receipt", args=[redemption_id]), {}),
            (
                "complete",
                "post",
                reverse("counter:complete", args=[redemption_id]),
                token(COMPLETE_ACTION, target),
            ),
            ("cancel", "post", reverse("counter:cancel", args=[redemption_id]), token(CANCEL_ACTION, target)),
            ("reverse", "get", reverse("counter:reverse", args=[redemption_id]), {}),
            (
                "reverse",
                "post",
                reverse("counter:reverse", args=[redemption_id]),
                {**token(REVERSE_ACTION, target), "reason": "not mine"},
            ),
        ]
    return requests


def test_every_counter_url_answers_404_for_foreign_or_unknown_ids(advisor, other_advisor, foreign):
    # The advisor may reverse, so a 403 for missing permission cannot hide a scope leak.
    user = grant_reversal(advisor)
    client = signed_in(user)
    requests = _requests(user, foreign, other_advisor)

    names = {p.name for p in counter_urls.urlpatterns if isinstance(p, URLPattern)}
    covered = {name for name, *_rest in requests}
    assert covered | WITHOUT_IDS == names, "a counter URL is neither walked here nor declared id-free"
    assert not covered & WITHOUT_IDS

    ledger_before = LedgerEntry.objects.count()
    for name, method, url, data in requests:
        response = getattr(client, method)(url, data)
        assert response.status_code == 404, f"{name} {method.upper()} {url} answered {response.status_code}"

    assert LedgerEntry.objects.count() == ledger_before
    assert not VehicleAlert.objects.filter(status=VehicleAlert.Status.CLOSED).exists()
    statuses = dict(Redemption.objects.values_list("pk", "status"))
    assert statuses[foreign["completed"].pk] == Redemption.Status.COMPLETED
    assert statuses[foreign["held"].pk] == Redemption.Status.HELD


def test_the_owning_dealer_sees_the_same_urls(other_advisor, foreign):
    """The 404s above are about scope, not broken URLs: dealer B reaches its own work."""
    client = signed_in(other_advisor)
    assert client.get(reverse("counter:receipt", args=[foreign["completed"].pk])).status_code == 200
    assert client.get(reverse("counter:receipt", args=[foreign["held"].pk])).status_code == 200
    assert client.get(reverse("counter:today"), {"advisor": other_advisor.pk}).status_code == 200


def test_dealer_b_work_does_not_appear_in_dealer_a_lists(counter, foreign):
    for url in (reverse("counter:home"), reverse("counter:today")):
        body = counter.get(url).content.decode()
        assert foreign["completed"].receipt_number not in body
        assert foreign["held"].receipt_number not in body
