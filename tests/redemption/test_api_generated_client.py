"""A Python client generated from the served schema (openapi-python-client) works against the API.

Generated once per session from /api/schema/ of the live server, with no generator warning (a warning
means an endpoint or a type was dropped), imported, and driven through issue -> redeem -> reverse.
"""

import importlib
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest

from redemption.models import Redemption
from tests.factories import DealerFactory, DefinitionFactory, OwnedVehicleFactory
from vouchers.models import Voucher

from .api_support import make_key

PACKAGE = "partner_api_client"
BIN = Path(sys.executable).parent
# The generator formats its output with ruff: the venv's own, told to ignore any configuration
# around the temporary folder and to keep no cache (nothing is fetched: ruff works offline).
GENERATOR_CONFIG = f"""\
project_name_override: partner-api-client
package_name_override: {PACKAGE}
post_hooks:
  - "{BIN / "ruff"} check --isolated --no-cache --fix --extend-select=I ."
  - "{BIN / "ruff"} format --isolated --no-cache ."
"""


@pytest.fixture(scope="session")
def generated_client(live_server, tmp_path_factory, django_db_blocker):
    folder = tmp_path_factory.mktemp("generated-client")
    schema = folder / "schema.json"
    # The server thread may touch the connection (Django closes old ones on every request).
    with django_db_blocker.unblock():
        response = httpx.get(
            f"{live_server.url}/api/schema/?format=json", headers={"Accept-Language": "zh-Hant"}
        )
    assert response.status_code == 200
    schema.write_bytes(response.content)
    config = folder / "config.yaml"
    config.write_text(GENERATOR_CONFIG)
    output = folder / PACKAGE

    run = subprocess.run(
        [
            str(BIN / "openapi-python-client"),
            "generate",
            f"--path={schema}",
            f"--config={config}",
            f"--output-path={output}",
            "--meta=none",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    printed = (run.stdout + run.stderr).strip()
    assert run.returncode == 0, printed
    assert printed == f"Generating {output}", printed  # anything more is a warning
    sys.path.insert(0, str(folder))
    yield importlib.import_module(PACKAGE)
    sys.path.remove(str(folder))
    for name in [m for m in sys.modules if m == PACKAGE or m.startswith(f"{PACKAGE}.")]:
        del sys.modules[name]


def _generated(name: str):
    return importlib.import_module(f"{PACKAGE}.{name}")


@pytest.mark.django_db(transaction=True)
def test_issue_redeem_reverse_through_the_generated_client(generated_client, live_server):
    _key, token = make_key(scopes=["issue", "redeem"])
    definition = DefinitionFactory(code="wash-generated-client")
    vehicle = OwnedVehicleFactory()
    dealer = DealerFactory()
    models = _generated("models")
    issue = _generated("api.vouchers.vouchers_issue")
    redeem = _generated("api.vouchers.vouchers_redeem")
    reverse = _generated("api.redemptions.redemptions_reverse")
    client = generated_client.AuthenticatedClient(
        base_url=live_server.url, token=token, headers={"Accept-Language": "en"}
    )

    issued = issue.sync_detailed(
        client=client,
        body=models.IssueRequest(definition=definition.code, vehicle=models.VehicleRef(vin=vehicle.vin)),
        idempotency_key=str(uuid.uuid4()),
    )
    assert issued.status_code == 201, issued.content
    assert isinstance(issued.parsed, models.IssueResponse)
    voucher = issued.parsed.vouchers[0]
    assert voucher.status == models.VoucherStatusEnum.ACTIVE

    redeemed = redeem.sync_detailed(
        voucher.code,
        client=client,
        body=models.RedeemRequest(dealer=dealer.code, vin=vehicle.vin, mileage_km=12_000),
        idempotency_key=str(uuid.uuid4()),
    )
    assert redeemed.status_code == 200, redeemed.content
    assert isinstance(redeemed.parsed, models.RedemptionResult)
    assert redeemed.parsed.redemption.status == models.RedemptionStatusEnum.COMPLETED
    assert redeemed.parsed.voucher.uses_left == 0

    reversed_ = reverse.sync_detailed(
        redeemed.parsed.redemption.id,
        client=client,
        body=models.ReverseRequest(reason="redeemed on the wrong vehicle"),
        idempotency_key=str(uuid.uuid4()),
    )
    assert reversed_.status_code == 200, reversed_.content
    assert reversed_.parsed.redemption.status == models.RedemptionStatusEnum.REVERSED
    assert reversed_.parsed.voucher.uses_left == 1
    assert Redemption.objects.get(pk=redeemed.parsed.redemption.id).status == Redemption.Status.REVERSED
    assert Voucher.objects.get(code=voucher.code.replace("-", "")).uses_left == 1

    refused = redeem.sync_detailed(
        voucher.code,
        client=client,
        body=models.RedeemRequest(dealer=dealer.code, vin=OwnedVehicleFactory().vin),
        idempotency_key=str(uuid.uuid4()),
    )
    assert refused.status_code == 409
    assert isinstance(refused.parsed, models.Problem)
    assert refused.parsed.code == "vehicle_mismatch"


def test_every_operation_of_the_schema_was_generated(generated_client):
    api = Path(generated_client.__file__).parent / "api"
    generated = {path.stem for path in api.rglob("*.py") if path.stem != "__init__"}

    assert {
        "vouchers_issue",
        "vouchers_retrieve",
        "vouchers_redeem",
        "redemptions_reverse",
        "vehicles_vouchers_list",
        "webhooks_destroy",
        "webhooks_deliveries_list",
    } <= generated
    assert not [path.name for path in (api.parent / "models").glob("*.py") if not path.name.isascii()]
