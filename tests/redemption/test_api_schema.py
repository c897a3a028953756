"""Real successful responses conform to the published OpenAPI schema (schemathesis, in-process).

The CI fuzz run (scripts/api-fuzz.sh) mostly reaches error paths with generated data; these cases
drive every operation down its success path and validate status, content type, headers and body.
"""

import uuid

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from config.wsgi import application
from tests.factories import DefinitionFactory, VehicleFactory, issue_voucher
from vouchers.models import VoucherDefinition

from .api_support import make_key, scene

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(db):
    # Like Django's test client: the test's transaction must survive the end of each request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield schemathesis.openapi.from_wsgi("/api/schema/", application)
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def call(schema, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    _key, plaintext = make_key()

    def run(path: str, method: str, *, status: int, idempotent: bool = True, **parts):
        headers = {"Authorization": f"Bearer {plaintext}"}
        if method == "POST" and idempotent:
            headers["Idempotency-Key"] = str(uuid.uuid4())
        case = schema[path][method].Case(headers=headers, **parts)
        response = case.call()
        assert response.status_code == status, response.text
        case.validate_response(
            response,
            checks=[
                schemathesis.checks.status_code_conformance,
                schemathesis.checks.content_type_conformance,
                schemathesis.checks.response_schema_conformance,
                schemathesis.checks.response_headers_conformance,
            ],
        )
        return response.json() if response.content else None

    return run


def test_voucher_operations_conform(call):
    s = scene(uses_per_voucher=2)
    DefinitionFactory(code="wash-schema", activation_mode=VoucherDefinition.ActivationMode.PARTNER)
    issued = call(
        "/api/v1/vouchers/issue",
        "POST",
        status=201,
        body={
            "definition": "wash-schema",
            "vehicle": {"vin": s.vehicle.vin},
            "member": {"phone": "0912345678"},
        },
    )
    code = issued["vouchers"][0]["code"]
    call(
        "/api/v1/vouchers/{code}/activate",
        "POST",
        status=200,
        path_parameters={"code": code},
        idempotent=False,
    )
    call("/api/v1/vouchers/{code}", "GET", status=200, path_parameters={"code": s.voucher.code})
    redeemed = call(
        "/api/v1/vouchers/{code}/redeem",
        "POST",
        status=200,
        path_parameters={"code": s.voucher.code},
        body={"dealer": s.dealer.code, "vin": s.vehicle.vin, "mileage_km": 100, "work_order": "W1"},
    )
    call(
        "/api/v1/redemptions/{id}/reverse",
        "POST",
        status=200,
        path_parameters={"id": redeemed["redemption"]["id"]},
        body={"reason": "test"},
    )
    call("/api/v1/vehicles/{vin}/vouchers", "GET", status=200, path_parameters={"vin": s.vehicle.vin})


def test_member_held_and_unusable_vouchers_conform(call):
    definition = DefinitionFactory(
        holder_type=VoucherDefinition.HolderType.MEMBER, validity_policy="no_expiry"
    )
    issued = call(
        "/api/v1/vouchers/issue",
        "POST",
        status=201,
        body={"definition": definition.code, "member": {"phone": "0987654321"}, "external_ref": ""},
    )
    voucher = issued["vouchers"][0]
    assert voucher["valid_until"] is None and voucher["holder"]["vehicle"] is None
    used = issue_voucher(DefinitionFactory(), vehicle=VehicleFactory())
    used.status, used.uses_left = "used", 0
    used.save()
    body = call("/api/v1/vouchers/{code}", "GET", status=200, path_parameters={"code": used.code})
    assert body["unusable_reasons"] == ["voucher_exhausted"]


def test_webhook_operations_conform(call):
    created = call("/api/v1/webhooks", "POST", status=201, body={"url": "http://127.0.0.1:9/hook"})
    call("/api/v1/webhooks", "GET", status=200)
    call("/api/v1/webhooks/{id}/deliveries", "GET", status=200, path_parameters={"id": created["id"]})
    call("/api/v1/webhooks/{id}", "DELETE", status=204, path_parameters={"id": created["id"]})


def test_problem_catalogue_conforms(call):
    call("/api/problems/", "GET", status=200)
    call("/api/problems/{code}", "GET", status=200, path_parameters={"code": "voucher_expired"})
