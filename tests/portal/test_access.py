"""Owners reach only their own things: every portal URL with a foreign id answers 404; CSRF on
every form."""

import pytest
from django.test import Client
from django.urls import URLPattern, reverse

from portal import urls as portal_urls
from shop.selectors import shop_product
from shop.services import order_create
from tests.factories import DefinitionFactory, MemberFactory, OwnedVehicleFactory, issue_voucher, pack
from vehicles.services import vehicle_transfer_ownership
from vouchers.models import Voucher, VoucherDefinition

from .conftest import TOKEN, english_client, sign_in

pytestmark = pytest.mark.django_db
Holder = VoucherDefinition.HolderType

# Every URL that takes an id, with how each is requested; a new one must be added here.
ID_URLS = {
    "vehicle": "get",
    "vehicle_history": "get",
    "voucher": "get",
    "voucher_activate": "post",
    "voucher_refund": "post",
    "claim": "post",
    "order": "get",
    "order_pay": "get",
    "order_cancel": "post",
    "order_refund": "post",
    "shop_product": "get",  # the catalogue: the same for every owner (kind and code, no owner's id)
    "points_exchange": "post",  # an offer: the same for every owner (tests/loyalty/test_exchange.py)
    "exchange_cancel": "post",  # a stranger's exchange is not found (tests/loyalty/test_exchange.py)
    "booking_accept": "post",  # a stranger's request is not found (tests/bookings/test_portal.py)
    "booking_cancel": "post",
}


# URLs whose path carries a secret token instead of an id: the token is the credential (no sign-in);
# their refusals (tampered, expired, used) are tested in tests/campaigns/test_nps.py.
TOKEN_URLS = {"survey"}
# URLs whose path carries a member's referral code: meant to be shared, shows nothing of anyone (it
# only keeps the code for a sign-up; tests/portal/test_referral.py).
SHARED_CODE_URLS = {"referral_link"}


def test_every_portal_url_taking_an_id_is_covered():
    with_ids = {p.name for p in portal_urls.urlpatterns if isinstance(p, URLPattern) and p.pattern.converters}
    assert with_ids == set(ID_URLS) | TOKEN_URLS | SHARED_CODE_URLS


@pytest.fixture
def stranger_things(db):
    """A stranger's car, its voucher, the stranger's own voucher and a car the owner sold."""
    stranger = MemberFactory()
    car = OwnedVehicleFactory(owner=stranger)
    definition = DefinitionFactory(refundable=True, activation_mode=VoucherDefinition.ActivationMode.HOLDER)
    return {
        "stranger": stranger,
        "car": car,
        "car_voucher": issue_voucher(definition, vehicle=car),
        "member_voucher": issue_voucher(
            DefinitionFactory(holder_type=Holder.MEMBER, refundable=True), member=stranger
        ),
    }


def _request(client, name, object_id, data=None):
    url = reverse(f"portal:{name}", args=[object_id])
    if ID_URLS[name] == "get":
        return client.get(url)
    return client.post(url, {"idempotency_key": TOKEN, "confirm": "yes", **(data or {})})


@pytest.mark.parametrize("name", ["order", "order_pay", "order_cancel", "order_refund"])
def test_a_strangers_order_is_not_found(owner_client, stranger_things, name):
    order = order_create(
        member=stranger_things["stranger"],
        vehicle=stranger_things["car"],
        product=shop_product("pack", pack().code),
        quantity=1,
    )
    assert _request(owner_client, name, order.number).status_code == 404
    order.refresh_from_db()
    assert order.status == "pending"


@pytest.mark.parametrize("name", ["vehicle", "vehicle_history"])
def test_a_strangers_vehicle_is_not_found(owner, car, owner_client, stranger_things, name):
    assert _request(owner_client, name, car.pk).status_code == 200
    assert _request(owner_client, name, stranger_things["car"].pk).status_code == 404
    assert _request(owner_client, name, 987654).status_code == 404


@pytest.mark.parametrize("name", ["voucher", "voucher_activate", "voucher_refund"])
@pytest.mark.parametrize("whose", ["car_voucher", "member_voucher"])
def test_a_strangers_voucher_is_not_found_and_untouched(owner_client, stranger_things, name, whose):
    voucher = stranger_things[whose]
    before = (voucher.status, voucher.ledger.count())

    assert _request(owner_client, name, voucher.pk).status_code == 404

    voucher.refresh_from_db()
    assert (voucher.status, voucher.ledger.count()) == before


def test_a_sold_cars_vouchers_are_not_found_for_the_seller(owner, car, owner_client):
    voucher = issue_voucher(DefinitionFactory(), vehicle=car)
    vehicle_transfer_ownership(vehicle=car, new_owner=MemberFactory())
    for name in ("vehicle", "vehicle_history"):
        assert _request(owner_client, name, car.pk).status_code == 404
    for name in ("voucher", "voucher_activate", "voucher_refund"):
        assert _request(owner_client, name, voucher.pk).status_code == 404


def test_claiming_for_a_strangers_vehicle_is_not_found(owner_client, stranger_things):
    definition = DefinitionFactory(channel_claim=True, holder_type=Holder.VEHICLE)
    # Superscript and other non-ASCII digits pass str.isdigit() but not int(); a huge id overflows.
    for vehicle in (stranger_things["car"].pk, 987654, "x1", "²", "١٢", "9" * 30, " 1", "-1"):
        response = _request(owner_client, "claim", definition.pk, {"vehicle": vehicle})
        assert response.status_code == 404
    assert not Voucher.objects.filter(definition=definition).exists()


def test_claiming_a_definition_not_open_for_claim_is_not_found(owner_client):
    closed = DefinitionFactory(channel_claim=False, holder_type=Holder.MEMBER)
    draft = DefinitionFactory(
        channel_claim=True, holder_type=Holder.MEMBER, status=VoucherDefinition.Status.DRAFT
    )
    for definition_id in (closed.pk, draft.pk, 987654):
        assert _request(owner_client, "claim", definition_id).status_code == 404
    assert not Voucher.objects.exists()


POSTS = [
    ("portal:sign_in", {"phone": "0912345678"}),
    ("portal:sign_in_code", {"code": "123456"}),
    ("portal:sign_in_resend", {}),
    ("portal:sign_out", {}),
    ("portal:vehicle_bind", {"vin": "WBA5R1C00LF999999", "plate": "ZZZ-9999"}),
    ("portal:preferences", {"consent_service": "on", "preferred_channel": "sms", "language": "en"}),
    ("portal:booking_new", {"day": "2030-01-01", "slot": "morning", "service": "wash"}),
]


@pytest.mark.parametrize(("name", "data"), POSTS)
def test_forms_without_the_csrf_token_are_refused(owner, name, data):
    client = sign_in(Client(enforce_csrf_checks=True), owner)
    assert client.post(reverse(name), data).status_code == 403


@pytest.mark.parametrize("name", ["voucher_activate", "voucher_refund", "claim"])
def test_actions_without_the_csrf_token_are_refused(owner, car, name):
    definition = DefinitionFactory(
        channel_claim=True, refundable=True, activation_mode=VoucherDefinition.ActivationMode.HOLDER
    )
    voucher = issue_voucher(definition, vehicle=car)
    target = definition.pk if name == "claim" else voucher.pk
    client = sign_in(Client(enforce_csrf_checks=True), owner)
    response = client.post(
        reverse(f"portal:{name}", args=[target]), {"idempotency_key": TOKEN, "vehicle": car.pk}
    )
    assert response.status_code == 403
    assert Voucher.objects.get() == voucher and voucher.ledger.count() == 1


def test_every_portal_form_carries_a_csrf_token(owner, car, owner_client):
    voucher = issue_voucher(
        DefinitionFactory(
            refundable=True, channel_claim=True, activation_mode=VoucherDefinition.ActivationMode.HOLDER
        ),
        vehicle=car,
    )
    pages = [
        reverse("portal:home"),
        reverse("portal:voucher", args=[voucher.pk]),
        reverse("portal:claim_centre"),
        reverse("portal:preferences"),
        reverse("portal:vehicle_bind"),
    ]
    anonymous = english_client()
    anonymous_pages = [reverse("portal:sign_in")]
    for client, urls in ((owner_client, pages), (anonymous, anonymous_pages)):
        for url in urls:
            html = client.get(url).content.decode()
            forms = html.count('method="post"')
            assert forms and html.count('name="csrfmiddlewaretoken"') == forms, url
