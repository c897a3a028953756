"""Helpers for the partner API tests: keys, an authenticated client, a usable voucher scene."""

import json
import uuid
from dataclasses import dataclass

from rest_framework.test import APIClient

from redemption.api_keys import api_key_create
from redemption.partner_models import ApiKey
from tests.factories import DealerFactory, DefinitionFactory, OwnedVehicleFactory, issue_voucher
from vouchers.models import Voucher

ALL_SCOPES = ["read", "issue", "redeem"]
PROBLEM = "application/problem+json"


def make_key(name: str | None = None, *, scopes=None, dealers=(), rate_limit=None) -> tuple[ApiKey, str]:
    created = api_key_create(
        name=name or f"partner-{uuid.uuid4().hex[:8]}",
        scopes=list(scopes or ALL_SCOPES),
        dealer_codes=[d.code for d in dealers],
        rate_limit_per_minute=rate_limit,
    )
    return created.api_key, created.plaintext


def client_for(plaintext: str | None, **headers) -> APIClient:
    client = APIClient()
    if plaintext:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}", **headers)
    return client


def post(client: APIClient, url: str, body=None, *, key: str | None = "auto", **extra):
    """POST JSON; key="auto" sends a fresh Idempotency-Key, None sends none."""
    if key == "auto":
        key = str(uuid.uuid4())
    if key is not None:
        extra["HTTP_IDEMPOTENCY_KEY"] = key
    return client.post(url, body if body is not None else {}, format="json", **extra)


def problem(response) -> dict:
    """The problem body, after checking it is one."""
    assert response["Content-Type"] == PROBLEM, (response.status_code, response.content[:300])
    body = json.loads(response.content)
    assert {"type", "title", "status", "detail", "code"} <= set(body), body
    assert body["status"] == response.status_code
    return body


@dataclass
class Scene:
    """A vehicle with an owner, a dealer, and an active single-use voucher for the vehicle."""

    vehicle: object
    dealer: object
    definition: object
    voucher: Voucher


def scene(**definition_fields) -> Scene:
    definition = DefinitionFactory(**definition_fields)
    vehicle = OwnedVehicleFactory()
    dealer = DealerFactory()
    voucher = issue_voucher(definition, vehicle=vehicle)
    return Scene(vehicle=vehicle, dealer=dealer, definition=definition, voucher=voucher)
