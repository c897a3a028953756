"""The redeem's three lookups (voucher, dealer, vehicle) go in one statement on PostgreSQL
(`config.prepared.read_together`), and each still refuses in its turn: with several things wrong at
once, the answer is the first refusal of voucher, dealer, the key's dealers, then the vehicle."""

import uuid

import pytest

from tests.factories import DealerFactory, OwnedVehicleFactory
from vouchers.codes import code_generate

from .api_support import client_for, make_key, problem, scene

pytestmark = pytest.mark.django_db

UNKNOWN_VIN = "WBA00000000000000"  # well-formed (check digit 0), on no car


def _world():
    s = scene(uses_per_voucher=5)
    other_dealer = DealerFactory()
    other_car = OwnedVehicleFactory()
    _key, plaintext = make_key(dealers=[s.dealer])
    return s, other_dealer, other_car, client_for(plaintext)


def _redeem(client, code: str, body: dict):
    return client.post(
        f"/api/v1/vouchers/{code}/redeem", body, format="json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4())
    )


# (voucher, dealer, vehicle reference) -> (status, problem code); "ok" names the scene's own.
CASES = [
    (("unknown", "unknown", {"vin": "bad"}), (404, "voucher_not_found")),
    (("malformed", "unknown", {"vin": "bad"}), (400, "code_malformed")),
    (("ok", "unknown", {"vin": UNKNOWN_VIN}), (400, "dealer_unknown")),
    (("ok", "other", {"vin": "bad"}), (403, "permission_denied")),
    (("ok", "ok", {"vin": "bad"}), (400, "invalid_vin")),
    (("ok", "ok", {"vin": UNKNOWN_VIN, "plate": "!!"}), (404, "vehicle_not_found")),
    (("ok", "ok", {"vin": "ok", "plate": "!!"}), (400, "invalid_plate")),
    (("ok", "ok", {"vin": "ok", "plate": "other"}), (400, "plate_mismatch")),
    (("ok", "ok", {"plate": "!!"}), (400, "invalid_plate")),
    (("ok", "ok", {"plate": "XYZ-9999"}), (404, "vehicle_not_found")),
    (("ok", "ok", {"vin": "other"}), (409, None)),  # found: the voucher's rules refuse another car
    (("ok", "ok", {"plate": "ok"}), (200, None)),
    (("ok", "ok", {"vin": "ok", "plate": "ok"}), (200, None)),
]


@pytest.mark.parametrize(("given", "expected"), CASES)
def test_each_lookup_refuses_in_its_turn(given, expected):
    s, other_dealer, other_car, client = _world()
    voucher, dealer, ref = given
    code = {"ok": s.voucher.code, "unknown": code_generate(), "malformed": "12"}[voucher]
    dealer_code = {"ok": s.dealer.code, "other": other_dealer.code, "unknown": "ZZ999"}[dealer]
    cars = {"ok": s.vehicle, "other": other_car}
    body = {"dealer": dealer_code}
    if "vin" in ref:
        body["vin"] = cars[ref["vin"]].vin if ref["vin"] in cars else ref["vin"]
    if "plate" in ref:
        body["plate"] = cars[ref["plate"]].plate if ref["plate"] in cars else ref["plate"]
    response = _redeem(client, code, body)
    status, problem_code = expected
    assert response.status_code == status, response.content
    if problem_code:
        body = problem(response)
        # A malformed field is a validation error naming the field's own code.
        assert (
            body["errors"][0]["code"] if body["code"] == "validation_error" else body["code"]
        ) == problem_code
