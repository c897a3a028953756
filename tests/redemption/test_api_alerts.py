"""Partner API, scope `telematics`: a car's alerts, idempotent by the sender's alert id."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import OwnedVehicleFactory, VehicleFactory, raise_alert
from vehicles.models import VehicleAlert
from vehicles.services.alerts import alert_close

from .api_support import client_for, make_key, post, problem

pytestmark = pytest.mark.django_db


@pytest.fixture
def telematics():
    _key, plaintext = make_key("car-cloud", scopes=["telematics"])
    return client_for(plaintext)


def _body(**overrides) -> dict:
    body = {
        "alert_id": "TPMS-0001",
        "kind": "tyre_pressure",
        "severity": "warning",
        "raised_at": (timezone.now() - timedelta(minutes=4)).isoformat(),
        "message": "Front left 1.6 bar",
    }
    body.update(overrides)
    return body


def _url(vehicle) -> str:
    return f"/api/v1/vehicles/{vehicle.vin}/alerts"


def test_a_new_alert_answers_201_with_the_alert(telematics):
    vehicle = OwnedVehicleFactory()
    response = post(telematics, _url(vehicle), _body(), key=None)
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["alert_id"] == "TPMS-0001" and data["vin"] == vehicle.vin
    assert (data["kind"], data["severity"], data["status"], data["closed_by"]) == (
        "tyre_pressure",
        "warning",
        "open",
        None,
    )
    alert = VehicleAlert.objects.get()
    assert alert.sender == "car-cloud" and alert.vehicle == vehicle


def test_a_replay_of_the_same_alert_answers_200_with_the_first_one(telematics):
    vehicle = OwnedVehicleFactory()
    body = _body()
    first = post(telematics, _url(vehicle), body, key=None)
    again = post(telematics, _url(vehicle), body, key=None)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert VehicleAlert.objects.count() == 1


def test_a_replay_with_the_same_idempotency_key_replays_the_first_response(telematics):
    vehicle = OwnedVehicleFactory()
    body = _body()
    first = post(telematics, _url(vehicle), body, key="k-1")
    again = post(telematics, _url(vehicle), body, key="k-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again["Idempotent-Replayed"] == "true"


def test_the_same_alert_id_with_other_values_is_409(telematics):
    vehicle = OwnedVehicleFactory()
    post(telematics, _url(vehicle), _body(), key=None)
    response = post(telematics, _url(vehicle), _body(severity="critical"), key=None)
    assert response.status_code == 409
    body = problem(response)
    assert body["code"] == "alert_id_conflict" and "TPMS-0001" in body["detail"]
    assert VehicleAlert.objects.get().severity == "warning"


def test_a_closed_alert_sent_again_is_answered_as_it_is_now(telematics):
    vehicle = OwnedVehicleFactory()
    body = _body()
    post(telematics, _url(vehicle), body, key=None)
    alert_close(alert=VehicleAlert.objects.get(), advisor=None, reason="checked")
    again = post(telematics, _url(vehicle), body, key=None)
    assert again.status_code == 200 and again.json()["status"] == "closed"
    assert again.json()["closed_by"] == "advisor"
    assert VehicleAlert.objects.count() == 1


def test_an_unknown_vehicle_is_404(telematics):
    response = post(telematics, "/api/v1/vehicles/1HGCM82633A004352/alerts", _body(), key=None)
    assert response.status_code == 404 and problem(response)["code"] == "vehicle_not_found"


def test_a_malformed_vin_is_400_naming_the_parameter(telematics):
    response = post(telematics, "/api/v1/vehicles/NOT-A-VIN/alerts", _body(), key=None)
    body = problem(response)
    assert response.status_code == 400 and body["errors"][0]["parameter"] == "vin"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("kind", "coffee"),
        ("severity", "meh"),
        ("raised_at", "yesterday"),
        ("alert_id", "   "),
        ("alert_id", "x" * 101),
        ("alert_id", "tab\there"),
    ],
)
def test_an_invalid_body_is_400_pointing_at_the_field(telematics, field, value):
    response = post(telematics, _url(VehicleFactory()), _body(**{field: value}), key=None)
    body = problem(response)
    assert response.status_code == 400 and body["errors"][0]["pointer"] == f"#/{field}"
    assert not VehicleAlert.objects.exists()


def test_an_alert_from_the_future_is_400_pointing_at_raised_at(telematics):
    future = (timezone.now() + timedelta(days=1)).isoformat()
    response = post(telematics, _url(VehicleFactory()), _body(raised_at=future), key=None)
    body = problem(response)
    assert response.status_code == 400
    assert body["errors"][0] == {**body["errors"][0], "pointer": "#/raised_at", "code": "date_in_future"}


def test_raising_needs_the_telematics_scope():
    _key, plaintext = make_key("reader", scopes=["read", "vehicles"])
    response = post(client_for(plaintext), _url(VehicleFactory()), _body(), key=None)
    assert response.status_code == 403 and "telematics" in problem(response)["detail"]
    assert not VehicleAlert.objects.exists()


def test_without_a_key_is_401():
    response = post(client_for(None), _url(VehicleFactory()), _body(), key=None)
    assert response.status_code == 401


def test_the_list_needs_the_read_scope(telematics):
    response = telematics.get(_url(VehicleFactory()))
    assert response.status_code == 403 and "read" in problem(response)["detail"]


def test_the_list_shows_a_cars_alerts_newest_first_filtered_by_status():
    _key, plaintext = make_key("crm", scopes=["read"])
    reader = client_for(plaintext)
    vehicle = VehicleFactory()
    old = raise_alert(vehicle, alert_id="old", raised_at=timezone.now() - timedelta(days=2))
    new = raise_alert(vehicle, alert_id="new", raised_at=timezone.now() - timedelta(hours=1))
    raise_alert(VehicleFactory(), alert_id="elsewhere")
    alert_close(alert=old, advisor=None, reason="done")
    listed = reader.get(_url(vehicle)).json()
    assert [a["alert_id"] for a in listed] == [new.sender_alert_id, old.sender_alert_id]
    open_only = reader.get(_url(vehicle), {"status": "open"}).json()
    assert [a["alert_id"] for a in open_only] == ["new"]
    for wrong in ("maybe", ""):
        bad = reader.get(_url(vehicle), {"status": wrong})
        assert bad.status_code == 400 and problem(bad)["errors"][0]["parameter"] == "status"


def test_the_problem_title_is_translated(telematics):
    vehicle = OwnedVehicleFactory()
    post(telematics, _url(vehicle), _body(), key=None)
    response = post(
        telematics, _url(vehicle), _body(kind="battery"), key=None, HTTP_ACCEPT_LANGUAGE="zh-hant"
    )
    assert json.loads(response.content)["title"] == "提醒編號已用於另一則提醒"
