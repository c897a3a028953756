"""Partner API: issue, look up, activate, redeem, reverse, and a vehicle's vouchers."""

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from redemption.models import ApiKey, Redemption
from redemption.services import redemption_start
from tests.factories import (
    DealerFactory,
    DefinitionFactory,
    MemberFactory,
    OwnedVehicleFactory,
    VehicleFactory,
    VehicleModelFactory,
    issue_voucher,
)
from vouchers.codes import code_format
from vouchers.models import LedgerEntry, Voucher, VoucherDefinition
from vouchers.services import refund_approve, voucher_lock, voucher_refund_request, voucher_void

from .api_support import client_for, make_key, post, problem, scene

pytestmark = pytest.mark.django_db
ISSUE = "/api/v1/vouchers/issue"


@pytest.fixture
def partner():
    _api_key, plaintext = make_key("online-shop")
    return client_for(plaintext)


def past(voucher):
    """Move the voucher's validity window into the past (it is expired, not yet swept)."""
    now = timezone.now()
    Voucher.objects.filter(pk=voucher.pk).update(
        valid_from=now - timedelta(days=30), valid_until=now - timedelta(minutes=1)
    )


def redeem_url(voucher):
    return f"/api/v1/vouchers/{voucher.code}/redeem"


# --- issue ------------------------------------------------------------------------------------------


def test_issue_to_vehicle_by_vin_answers_201_with_the_vouchers(partner):
    definition = DefinitionFactory(code="wash-api", uses_per_voucher=3)
    vehicle = OwnedVehicleFactory()
    response = post(
        partner,
        ISSUE,
        {
            "definition": "wash-api",
            "vehicle": {"vin": vehicle.vin.lower()},
            "quantity": 2,
            "external_ref": "SHOP-9",
        },
    )
    assert response.status_code == 201, response.content
    vouchers = response.json()["vouchers"]
    assert len(vouchers) == 2
    stored = Voucher.objects.filter(definition=definition).order_by("pk")
    assert [v["code"] for v in vouchers] == [v.code for v in stored]
    first = vouchers[0]
    assert first["definition"]["code"] == "wash-api"
    assert first["uses_total"] == first["uses_left"] == 3
    assert first["holder"]["vehicle"] == {"vin": vehicle.vin, "plate": vehicle.plate}
    assert first["usable_now"] is True and first["unusable_reasons"] == []
    assert first["external_ref"] == "SHOP-9"
    assert first["code_display"] == code_format(first["code"])
    assert all(v.source == Voucher.Source.API for v in stored)
    assert set(LedgerEntry.objects.filter(voucher__in=stored).values_list("actor_label", flat=True)) == {
        "api:online-shop"
    }


def test_issue_by_plate_in_any_spelling(partner):
    DefinitionFactory(code="wash-plate")
    vehicle = OwnedVehicleFactory()
    spelled = vehicle.plate.replace("-", " – ").lower()
    response = post(partner, ISSUE, {"definition": "wash-plate", "vehicle": {"plate": spelled}})
    assert response.status_code == 201, response.content
    assert Voucher.objects.get(code=response.json()["vouchers"][0]["code"]).vehicle == vehicle


def test_issue_to_member_by_phone_masks_the_member(partner):
    DefinitionFactory(code="member-gift", holder_type=VoucherDefinition.HolderType.MEMBER)
    member = MemberFactory(phone="+886912345678", name="王小明")
    response = post(partner, ISSUE, {"definition": "member-gift", "member": {"phone": "0912-345-678"}})
    assert response.status_code == 201, response.content
    holder = response.json()["vouchers"][0]["holder"]
    assert holder == {"vehicle": None, "member": {"phone": "0912-***-678", "name": "王○明"}}
    assert Voucher.objects.get().member == member


def test_issue_to_an_unknown_phone_creates_the_member(partner):
    DefinitionFactory(code="lottery", holder_type=VoucherDefinition.HolderType.MEMBER)
    response = post(partner, ISSUE, {"definition": "lottery", "member": {"phone": "0987 654 321"}})
    assert response.status_code == 201, response.content
    assert Voucher.objects.get().member.phone == "+886987654321"


def test_issue_needs_an_idempotency_key(partner):
    DefinitionFactory(code="wash-key")
    vehicle = VehicleFactory()
    response = post(partner, ISSUE, {"definition": "wash-key", "vehicle": {"vin": vehicle.vin}}, key=None)
    assert response.status_code == 400
    body = problem(response)
    assert body["code"] == "validation_error"
    assert body["errors"][0]["header"] == "Idempotency-Key"
    assert not Voucher.objects.exists()


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"vehicle": {"vin": "WBA5R1C00LF000001"}}, "#/definition"),
        ({"definition": "x"}, "#"),
        ({"definition": "x", "vehicle": {}}, "#/vehicle"),
        ({"definition": "x", "vehicle": {"vin": "W"}, "quantity": 0}, "#/quantity"),
        ({"definition": "x", "vehicle": {"vin": "W"}, "quantity": 101}, "#/quantity"),
        ({"definition": "x", "vehicle": {"vin": "W"}, "quantity": "many"}, "#/quantity"),
    ],
)
def test_issue_with_a_malformed_body_is_a_validation_error(partner, body, pointer):
    response = post(partner, ISSUE, body)
    assert response.status_code == 400
    body = problem(response)
    assert body["code"] == "validation_error"
    assert pointer in [e["pointer"] for e in body["errors"]]


def test_issue_with_a_malformed_vin_points_at_it(partner):
    DefinitionFactory(code="wash-vin")
    response = post(partner, ISSUE, {"definition": "wash-vin", "vehicle": {"vin": "IOQ123"}})
    body = problem(response)
    assert response.status_code == 400
    assert body["errors"] == [{"detail": body["detail"], "code": "invalid_vin", "pointer": "#/vehicle/vin"}]


def test_issue_with_a_malformed_phone_points_at_it(partner):
    DefinitionFactory(code="gift-phone", holder_type=VoucherDefinition.HolderType.MEMBER)
    response = post(partner, ISSUE, {"definition": "gift-phone", "member": {"phone": "12"}})
    assert response.status_code == 400
    assert problem(response)["errors"][0]["pointer"] == "#/member/phone"


def test_issue_of_an_unknown_definition_is_404(partner):
    vehicle = VehicleFactory()
    response = post(partner, ISSUE, {"definition": "nope", "vehicle": {"vin": vehicle.vin}})
    assert response.status_code == 404
    assert problem(response)["code"] == "definition_not_found"


def test_issue_to_an_unknown_vehicle_is_404(partner):
    DefinitionFactory(code="wash-404")
    response = post(partner, ISSUE, {"definition": "wash-404", "vehicle": {"vin": "WBA5R1C00LF999999"}})
    assert response.status_code == 404
    assert problem(response)["code"] == "vehicle_not_found"
    response = post(partner, ISSUE, {"definition": "wash-404", "vehicle": {"plate": "ZZZ-9999"}})
    assert problem(response)["code"] == "vehicle_not_found"


def test_vin_and_plate_of_different_cars_are_refused(partner):
    DefinitionFactory(code="wash-two")
    one, other = VehicleFactory(), VehicleFactory()
    response = post(
        partner, ISSUE, {"definition": "wash-two", "vehicle": {"vin": one.vin, "plate": other.plate}}
    )
    assert response.status_code == 400
    assert problem(response)["errors"][0]["code"] == "plate_mismatch"


def test_issue_of_a_definition_closed_to_the_api_is_409(partner):
    DefinitionFactory(code="counter-only", channel_api=False)
    vehicle = VehicleFactory()
    response = post(partner, ISSUE, {"definition": "counter-only", "vehicle": {"vin": vehicle.vin}})
    assert response.status_code == 409
    assert problem(response)["code"] == "definition_not_issuable"


def test_issue_beyond_stock_is_409(partner):
    DefinitionFactory(code="scarce", stock_total=1)
    vehicle = VehicleFactory()
    response = post(partner, ISSUE, {"definition": "scarce", "vehicle": {"vin": vehicle.vin}, "quantity": 2})
    assert response.status_code == 409
    assert problem(response)["code"] == "stock_exhausted"


# --- look up ----------------------------------------------------------------------------------------


def test_look_up_a_voucher_in_any_spelling(partner):
    s = scene()
    response = partner.get(f"/api/v1/vouchers/{code_format(s.voucher.code).lower()}")
    assert response.status_code == 200
    body = response.json()
    assert body["code"] == s.voucher.code
    assert body["status"] == "active"
    assert (body["uses_total"], body["uses_left"]) == (1, 1)
    assert body["valid_until"] is not None and body["usable_now"] is True
    assert body["holder"]["vehicle"]["vin"] == s.vehicle.vin


def test_look_up_tells_why_a_voucher_is_not_usable(partner):
    s = scene()
    past(s.voucher)
    body = partner.get(f"/api/v1/vouchers/{s.voucher.code}").json()
    assert body["usable_now"] is False
    assert body["unusable_reasons"] == ["voucher_expired"]


def test_look_up_an_unknown_code_is_404(partner):
    code = "0" * 15
    from vouchers.codes import _check_char

    response = partner.get(f"/api/v1/vouchers/{code}{_check_char(code)}")
    assert response.status_code == 404
    assert problem(response)["code"] == "voucher_not_found"


@pytest.mark.parametrize(("raw", "finer"), [("NOT-A-CODE", "code_malformed"), (None, "code_mistyped")])
def test_look_up_a_malformed_or_mistyped_code_is_400(partner, raw, finer):
    if raw is None:
        code = scene().voucher.code
        raw = code[:-1] + ("0" if code[-1] != "0" else "1")
    response = partner.get(f"/api/v1/vouchers/{raw}")
    assert response.status_code == 400
    body = problem(response)
    assert body["code"] == "validation_error"
    assert body["errors"][0] == {"detail": body["detail"], "code": finer, "parameter": "code"}


# --- activate ---------------------------------------------------------------------------------------


def partner_activated(**fields):
    return DefinitionFactory(activation_mode=VoucherDefinition.ActivationMode.PARTNER, **fields)


def test_activate_a_partner_activated_voucher(partner):
    voucher = issue_voucher(partner_activated(), vehicle=VehicleFactory())
    assert voucher.status == Voucher.Status.INACTIVE
    response = post(partner, f"/api/v1/vouchers/{voucher.code}/activate", key=None)
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "active"
    voucher.refresh_from_db()
    assert voucher.status == Voucher.Status.ACTIVE
    assert voucher.ledger.get(kind=LedgerEntry.Kind.ACTIVATED).actor_label == "api:online-shop"


def test_activate_a_voucher_activated_otherwise_is_409(partner):
    voucher = issue_voucher(
        DefinitionFactory(activation_mode=VoucherDefinition.ActivationMode.HOLDER), vehicle=VehicleFactory()
    )
    response = post(partner, f"/api/v1/vouchers/{voucher.code}/activate")
    assert response.status_code == 409
    assert problem(response)["code"] == "activation_not_allowed"


def test_activate_an_active_voucher_is_409(partner):
    voucher = issue_voucher(partner_activated(), vehicle=VehicleFactory())
    assert post(partner, f"/api/v1/vouchers/{voucher.code}/activate").status_code == 200
    response = post(partner, f"/api/v1/vouchers/{voucher.code}/activate")
    assert response.status_code == 409
    assert problem(response)["code"] == "invalid_transition"


def test_activate_an_expired_voucher_is_409(partner):
    voucher = issue_voucher(partner_activated(), vehicle=VehicleFactory())
    past(voucher)
    response = post(partner, f"/api/v1/vouchers/{voucher.code}/activate")
    assert response.status_code == 409
    assert problem(response)["code"] == "voucher_expired"


# --- redeem -----------------------------------------------------------------------------------------


def test_redeem_answers_the_redemption_and_the_voucher_after_it(partner):
    s = scene(uses_per_voucher=2)
    response = post(
        partner,
        redeem_url(s.voucher),
        {"dealer": s.dealer.code, "vin": s.vehicle.vin, "mileage_km": 12345, "work_order": "WO-77"},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    redemption = Redemption.objects.get()
    assert body["redemption"]["id"] == redemption.pk
    assert body["redemption"]["receipt_number"] == redemption.receipt_number
    assert body["redemption"]["status"] == "completed"
    assert body["redemption"]["channel"] == "api"
    assert body["redemption"]["dealer"] == s.dealer.code
    assert body["redemption"]["mileage_km"] == 12345
    assert body["redemption"]["work_order"] == "WO-77"
    assert body["voucher"]["uses_left"] == 1
    assert redemption.actor_label == "api:online-shop"
    assert redemption.api_key == ApiKey.objects.get(name="online-shop")
    s.vehicle.refresh_from_db()
    assert s.vehicle.last_mileage_km == 12345


def test_redeem_by_plate_or_vehicle_object(partner):
    s = scene(uses_per_voucher=2)
    by_plate = post(partner, redeem_url(s.voucher), {"dealer": s.dealer.code, "plate": s.vehicle.plate})
    assert by_plate.status_code == 200, by_plate.content
    nested = post(
        partner, redeem_url(s.voucher), {"dealer": s.dealer.code, "vehicle": {"vin": s.vehicle.vin}}
    )
    assert nested.status_code == 200, nested.content
    assert nested.json()["voucher"]["status"] == "used"


def test_redeem_the_last_use_then_again_is_voucher_exhausted(partner):
    s = scene()
    body = {"dealer": s.dealer.code, "vin": s.vehicle.vin}
    assert post(partner, redeem_url(s.voucher), body).status_code == 200
    response = post(partner, redeem_url(s.voucher), body)
    assert response.status_code == 409
    assert problem(response)["code"] == "voucher_exhausted"
    assert Redemption.objects.count() == 1


def _expired(s):
    past(s.voucher)


def _not_yet_valid(s):
    now = timezone.now()
    Voucher.objects.filter(pk=s.voucher.pk).update(
        valid_from=now + timedelta(days=3), valid_until=now + timedelta(days=30)
    )


def _inactive(s):
    Voucher.objects.filter(pk=s.voucher.pk).update(status=Voucher.Status.INACTIVE)


def _locked(s):
    voucher_lock(voucher=s.voucher, reason="dispute")


def _voided(s):
    voucher_void(voucher=s.voucher, reason="issued twice")


def _refunded(s):
    VoucherDefinition.objects.filter(pk=s.definition.pk).update(refundable=True)
    refund_approve(refund=voucher_refund_request(voucher=s.voucher, member=None), actor=None)


def _held(s):
    redemption_start(voucher=s.voucher, vehicle=s.vehicle, dealer=s.dealer, idempotency_key="started")


def _other_vehicle(s):
    s.vehicle = OwnedVehicleFactory()


def _dealer_not_allowed(s):
    s.definition.allowed_dealers.add(DealerFactory())


def _model_not_allowed(s):
    s.definition.allowed_models.add(VehicleModelFactory())


@pytest.mark.parametrize(
    ("arrange", "code"),
    [
        (_expired, "voucher_expired"),
        (_not_yet_valid, "voucher_not_yet_valid"),
        (_inactive, "voucher_not_active"),
        (_locked, "voucher_locked"),
        (_voided, "voucher_voided"),
        (_refunded, "voucher_refunded"),
        (_held, "voucher_held"),
        (_other_vehicle, "vehicle_mismatch"),
        (_dealer_not_allowed, "dealer_not_allowed"),
        (_model_not_allowed, "model_not_allowed"),
    ],
)
def test_redeem_refusals_have_their_codes_and_change_nothing(partner, arrange, code):
    s = scene()
    arrange(s)
    before = list(LedgerEntry.objects.values_list("pk", flat=True))
    response = post(partner, redeem_url(s.voucher), {"dealer": s.dealer.code, "vin": s.vehicle.vin})
    assert response.status_code == 409, response.content
    body = problem(response)
    assert body["code"] == code
    assert code in body["reasons"]
    assert list(LedgerEntry.objects.values_list("pk", flat=True)) == before
    assert not Redemption.objects.filter(status=Redemption.Status.COMPLETED).exists()


def test_redeem_at_a_dealer_outside_the_keys_list_is_403():
    s = scene()
    _key, plaintext = make_key(dealers=[DealerFactory()])
    response = post(
        client_for(plaintext), redeem_url(s.voucher), {"dealer": s.dealer.code, "vin": s.vehicle.vin}
    )
    assert response.status_code == 403
    assert problem(response)["code"] == "permission_denied"
    assert not Redemption.objects.exists()


def test_redeem_at_a_dealer_in_the_keys_list():
    s = scene()
    _key, plaintext = make_key(dealers=[s.dealer])
    response = post(
        client_for(plaintext), redeem_url(s.voucher), {"dealer": s.dealer.code, "vin": s.vehicle.vin}
    )
    assert response.status_code == 200


def test_redeem_with_an_unknown_dealer_or_vehicle(partner):
    s = scene()
    response = post(partner, redeem_url(s.voucher), {"dealer": "NOPE", "vin": s.vehicle.vin})
    assert response.status_code == 400
    assert problem(response)["errors"][0] == {
        "detail": problem(response)["detail"],
        "code": "dealer_unknown",
        "pointer": "#/dealer",
    }
    response = post(partner, redeem_url(s.voucher), {"dealer": s.dealer.code, "vin": "WBA5R1C00LF999999"})
    assert response.status_code == 404
    assert problem(response)["code"] == "vehicle_not_found"


def test_redeem_without_a_vehicle_or_with_bad_mileage_is_400(partner):
    s = scene()
    response = post(partner, redeem_url(s.voucher), {"dealer": s.dealer.code})
    assert response.status_code == 400
    response = post(
        partner, redeem_url(s.voucher), {"dealer": s.dealer.code, "vin": s.vehicle.vin, "mileage_km": -1}
    )
    assert response.status_code == 400
    assert problem(response)["errors"][0]["pointer"] == "#/mileage_km"
    assert not Redemption.objects.exists()


def test_redeem_an_unknown_voucher_is_404(partner):
    s = scene()
    code = s.voucher.code
    Voucher.objects.filter(pk=s.voucher.pk).update(code="0" * 16)
    response = post(
        partner, f"/api/v1/vouchers/{code}/redeem", {"dealer": s.dealer.code, "vin": s.vehicle.vin}
    )
    assert response.status_code == 404
    assert problem(response)["code"] == "voucher_not_found"


# --- reverse ----------------------------------------------------------------------------------------


def _redeemed(client, s) -> int:
    response = post(client, redeem_url(s.voucher), {"dealer": s.dealer.code, "vin": s.vehicle.vin})
    assert response.status_code == 200, response.content
    return response.json()["redemption"]["id"]


def test_reverse_gives_the_use_back(partner):
    s = scene()
    redemption_id = _redeemed(partner, s)
    response = post(
        partner, f"/api/v1/redemptions/{redemption_id}/reverse", {"reason": "wrong car"}, key=None
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["redemption"]["status"] == "reversed"
    assert body["redemption"]["reversal_reason"] == "wrong car"
    assert body["voucher"]["uses_left"] == 1 and body["voucher"]["status"] == "active"
    assert s.voucher.ledger.filter(kind=LedgerEntry.Kind.REVERSED).count() == 1


def test_reverse_needs_a_reason(partner):
    s = scene()
    redemption_id = _redeemed(partner, s)
    response = post(partner, f"/api/v1/redemptions/{redemption_id}/reverse", {"reason": "  "})
    assert response.status_code == 400
    assert problem(response)["errors"][0]["pointer"] == "#/reason"


def test_reverse_an_unknown_redemption_is_404(partner):
    response = post(partner, "/api/v1/redemptions/999999/reverse", {"reason": "x"})
    assert response.status_code == 404
    assert problem(response)["code"] == "redemption_not_found"


def test_reverse_after_the_window_is_409(partner, settings):
    s = scene()
    redemption_id = _redeemed(partner, s)
    Redemption.objects.filter(pk=redemption_id).update(completed_at=timezone.now() - timedelta(days=2))
    response = post(partner, f"/api/v1/redemptions/{redemption_id}/reverse", {"reason": "late"})
    assert response.status_code == 409
    assert problem(response)["code"] == "reversal_window_passed"


def test_reverse_another_partners_redemption_is_404_like_an_unknown_one(partner):
    s = scene()
    redemption_id = _redeemed(partner, s)
    _key, other = make_key()
    foreign = post(client_for(other), f"/api/v1/redemptions/{redemption_id}/reverse", {"reason": "x"})
    unknown = post(client_for(other), f"/api/v1/redemptions/{redemption_id + 1000}/reverse", {"reason": "x"})
    assert foreign.status_code == unknown.status_code == 404
    assert problem(foreign)["code"] == problem(unknown)["code"] == "redemption_not_found"
    foreign_body, unknown_body = problem(foreign), problem(unknown)
    assert foreign_body.keys() == unknown_body.keys()
    assert {k: v for k, v in foreign_body.items() if k != "instance"} == {
        k: v for k, v in unknown_body.items() if k != "instance"
    }
    assert Redemption.objects.get(pk=redemption_id).status != Redemption.Status.REVERSED
    _key, dealer_key = make_key(dealers=[s.dealer])
    response = post(client_for(dealer_key), f"/api/v1/redemptions/{redemption_id}/reverse", {"reason": "x"})
    assert response.status_code == 200


def test_a_key_reverses_by_the_redemptions_key_not_by_its_label(partner):
    """Only the key recorded on the redemption counts: a label that reads like the key's does not."""
    s = scene()
    redemption_id = _redeemed(partner, s)
    own_key = ApiKey.objects.get(name="online-shop")
    _other_key, other = make_key("dms")
    # Made by the first key, yet labelled like the second: the label must not let the second in.
    Redemption.objects.filter(pk=redemption_id).update(actor_label="api:dms")

    refused = post(client_for(other), f"/api/v1/redemptions/{redemption_id}/reverse", {"reason": "x"})

    assert refused.status_code in (403, 404)
    assert Redemption.objects.get(pk=redemption_id).status == Redemption.Status.COMPLETED
    assert Redemption.objects.get(pk=redemption_id).api_key == own_key
    allowed = post(partner, f"/api/v1/redemptions/{redemption_id}/reverse", {"reason": "wrong car"})
    assert allowed.status_code == 200, allowed.content


def test_reverse_twice_changes_nothing(partner):
    s = scene()
    redemption_id = _redeemed(partner, s)
    url = f"/api/v1/redemptions/{redemption_id}/reverse"
    assert post(partner, url, {"reason": "one"}).status_code == 200
    again = post(partner, url, {"reason": "two"})
    assert again.status_code == 200
    assert again.json()["redemption"]["reversal_reason"] == "one"
    assert s.voucher.ledger.filter(kind=LedgerEntry.Kind.REVERSED).count() == 1


# --- a vehicle's vouchers ---------------------------------------------------------------------------


def test_vehicle_vouchers_filtered_and_paginated(partner):
    vehicle = OwnedVehicleFactory()
    wash = DefinitionFactory(category=VoucherDefinition.Category.WASH)
    tyre = DefinitionFactory(category=VoucherDefinition.Category.TYRE)
    for _ in range(3):
        issue_voucher(wash, vehicle=vehicle)
    used = issue_voucher(tyre, vehicle=vehicle)
    Voucher.objects.filter(pk=used.pk).update(status=Voucher.Status.USED, uses_left=0)
    issue_voucher(wash, vehicle=VehicleFactory())  # someone else's
    url = f"/api/v1/vehicles/{vehicle.vin}/vouchers"

    everything = partner.get(url).json()
    assert everything["count"] == 4
    assert partner.get(url, {"category": "tyre"}).json()["count"] == 1
    assert partner.get(url, {"status": "active"}).json()["count"] == 3
    assert partner.get(url, {"status": ["active", "used"]}).json()["count"] == 4
    page = partner.get(url, {"page_size": 2, "page": 2}).json()
    assert page["count"] == 4 and len(page["results"]) == 2 and page["previous"]


@pytest.mark.usefixtures("one_rate_limit_window")  # a new minute would count its first request again
def test_vehicle_vouchers_query_count_is_constant(partner):
    vehicle = OwnedVehicleFactory()
    definition = DefinitionFactory()
    definition.allowed_models.add(vehicle.model)
    issue_voucher(definition, vehicle=vehicle)
    url = f"/api/v1/vehicles/{vehicle.vin}/vouchers"
    partner.get(url)  # first request of the minute: creates the rate-limit bucket

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert partner.get(url).status_code == 200
        return len(captured)

    one = queries()
    for _ in range(24):
        issue_voucher(definition, vehicle=vehicle)
    assert queries() == one <= 14


def test_vehicle_vouchers_errors(partner):
    assert problem(partner.get("/api/v1/vehicles/NOTAVIN/vouchers"))["code"] == "validation_error"
    response = partner.get("/api/v1/vehicles/WBA5R1C00LF999999/vouchers")
    assert response.status_code == 404 and problem(response)["code"] == "vehicle_not_found"
    vehicle = VehicleFactory()
    response = partner.get(f"/api/v1/vehicles/{vehicle.vin}/vouchers", {"status": "bogus"})
    assert response.status_code == 400 and problem(response)["errors"][0]["parameter"] == "status"
    response = partner.get(f"/api/v1/vehicles/{vehicle.vin}/vouchers", {"page": 9})
    assert response.status_code == 404 and problem(response)["code"] == "not_found"


def test_responses_are_json(partner):
    s = scene()
    response = partner.get(f"/api/v1/vouchers/{s.voucher.code}")
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content)["code"] == s.voucher.code


@pytest.mark.parametrize("page", ["", "x", "0", "-1", "last", "1.5"])
def test_an_unusable_page_number_is_400(partner, page):
    vehicle = VehicleFactory()
    response = partner.get(f"/api/v1/vehicles/{vehicle.vin}/vouchers", {"page": page})
    assert response.status_code == 400
    assert problem(response)["errors"][0]["parameter"] == "page"


@pytest.mark.parametrize("page_size", ["false", "0", "-3", "x", "201"])
def test_an_unusable_page_size_is_400(partner, page_size):
    vehicle = VehicleFactory()
    response = partner.get(f"/api/v1/vehicles/{vehicle.vin}/vouchers", {"page_size": page_size})
    assert response.status_code == 400
    assert problem(response)["errors"][0]["parameter"] == "page_size"
