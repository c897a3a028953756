"""Telematics alerts in the vehicles app: raised once per sender and alert id, closed by a visit or
an advisor, each refusal with its code."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from tests.factories import DealerFactory, UserFactory, VehicleFactory, raise_alert
from vehicles import signals
from vehicles.exceptions import AlertCloseReasonMissing, AlertIdConflict, AlertNotOpen, DateInFuture
from vehicles.models import VehicleAlert, Visit
from vehicles.selectors import vehicle_open_alerts, vehicle_with_owner
from vehicles.services import Origin, visit_record
from vehicles.services.alerts import alert_close, alert_raise

pytestmark = pytest.mark.django_db
ORIGIN = Origin(source=Visit.Source.API, label="dms")


@pytest.fixture
def announced():
    seen = []

    def listen(sender, *, alert, now, **kwargs):
        seen.append(alert.pk)

    signals.vehicle_alert_raised.connect(listen, dispatch_uid="test-alerts")
    yield seen
    signals.vehicle_alert_raised.disconnect(dispatch_uid="test-alerts")


def _raise(vehicle, **overrides):
    values = {
        "vehicle": vehicle,
        "sender": "telematics",
        "sender_alert_id": "T-1",
        "kind": "battery",
        "severity": "warning",
        "raised_at": timezone.now() - timedelta(minutes=3),
        "message": "Battery at 11.6 V",
    }
    values.update(overrides)
    return alert_raise(**values)


def test_a_new_alert_is_open_and_announced_once(announced):
    vehicle = VehicleFactory()
    alert, created = _raise(vehicle)
    assert created and alert.is_open and alert.message == "Battery at 11.6 V"
    assert announced == [alert.pk]


def test_the_same_alert_sent_again_is_the_first_one_and_announces_nothing(announced):
    vehicle = VehicleFactory()
    raised_at = timezone.now() - timedelta(minutes=3)
    first, _ = _raise(vehicle, raised_at=raised_at)
    again, created = _raise(vehicle, raised_at=raised_at)
    assert not created and again.pk == first.pk
    assert VehicleAlert.objects.count() == 1
    assert announced == [first.pk]


@pytest.mark.parametrize(
    "change",
    [{"severity": "critical"}, {"kind": "oil_life"}, {"message": "other"}, {"raised_at_shift": 1}],
)
def test_the_same_id_with_other_values_is_a_conflict(change):
    vehicle = VehicleFactory()
    raised_at = timezone.now() - timedelta(minutes=3)
    _raise(vehicle, raised_at=raised_at)
    values = {"raised_at": raised_at, **change}
    if values.pop("raised_at_shift", None):
        values["raised_at"] = raised_at + timedelta(seconds=1)
    with pytest.raises(AlertIdConflict) as refused:
        _raise(vehicle, **values)
    assert refused.value.code == "alert_id_conflict" and refused.value.http_status == 409
    assert VehicleAlert.objects.count() == 1


def test_the_same_id_for_another_car_is_a_conflict():
    raised_at = timezone.now() - timedelta(minutes=3)
    _raise(VehicleFactory(), raised_at=raised_at)
    with pytest.raises(AlertIdConflict):
        _raise(VehicleFactory(), raised_at=raised_at)


def test_the_same_id_from_another_sender_is_another_alert():
    vehicle = VehicleFactory()
    _raise(vehicle)
    _other, created = _raise(vehicle, sender="other-telematics")
    assert created and VehicleAlert.objects.count() == 2


def test_an_alert_from_the_future_is_refused_but_clock_skew_is_tolerated():
    vehicle = VehicleFactory()
    now = timezone.now()
    with pytest.raises(DateInFuture):
        _raise(vehicle, raised_at=now + timedelta(hours=1), now=now)
    _alert, created = _raise(vehicle, raised_at=now + timedelta(minutes=2), now=now)
    assert created


def test_unknown_kind_is_a_programming_error():
    with pytest.raises(ValueError):
        _raise(VehicleFactory(), kind="coffee")


def test_an_advisor_closes_an_open_alert_with_a_reason():
    alert = raise_alert(VehicleFactory())
    advisor = UserFactory()
    closed = alert_close(alert=alert, advisor=advisor, reason="  Tyres checked, pressure set  ")
    closed.refresh_from_db()
    assert closed.status == VehicleAlert.Status.CLOSED
    assert closed.closed_by == VehicleAlert.ClosedBy.ADVISOR and closed.closed_by_user == advisor
    assert closed.close_reason == "Tyres checked, pressure set" and closed.closed_at is not None


def test_closing_needs_a_reason():
    alert = raise_alert(VehicleFactory())
    with pytest.raises(AlertCloseReasonMissing):
        alert_close(alert=alert, advisor=UserFactory(), reason="   ")
    alert.refresh_from_db()
    assert alert.is_open


def test_closing_a_closed_alert_is_refused():
    alert = raise_alert(VehicleFactory())
    alert_close(alert=alert, advisor=UserFactory(), reason="checked")
    with pytest.raises(AlertNotOpen) as refused:
        alert_close(alert=alert, advisor=UserFactory(), reason="again")
    assert refused.value.code == "alert_not_open"


def test_a_new_visit_closes_the_alerts_open_by_the_end_of_its_day_only():
    vehicle = VehicleFactory()
    today = timezone.localdate()
    before = raise_alert(vehicle, alert_id="old", raised_at=timezone.now() - timedelta(days=3))
    after = raise_alert(vehicle, alert_id="new", raised_at=timezone.now() - timedelta(minutes=1))
    visit, _ = visit_record(
        vehicle=vehicle,
        dealer=DealerFactory(),
        visited_on=today - timedelta(days=2),
        repair_order="RO1",
        origin=ORIGIN,
    )
    before.refresh_from_db()
    after.refresh_from_db()
    assert before.status == "closed" and before.closed_by == "visit" and before.closed_by_visit == visit
    assert after.is_open  # raised after the visit's day: the workshop never saw it


def test_resending_a_visit_unchanged_closes_nothing_new():
    vehicle = VehicleFactory()
    dealer = DealerFactory()
    today = timezone.localdate()
    visit_record(vehicle=vehicle, dealer=dealer, visited_on=today, repair_order="RO1", origin=ORIGIN)
    alert = raise_alert(vehicle, raised_at=timezone.now())
    visit_record(vehicle=vehicle, dealer=dealer, visited_on=today, repair_order="RO1", origin=ORIGIN)
    alert.refresh_from_db()
    assert alert.is_open


def test_a_visit_of_another_car_closes_nothing():
    alert = raise_alert(VehicleFactory(), raised_at=timezone.now() - timedelta(days=1))
    visit_record(
        vehicle=VehicleFactory(),
        dealer=DealerFactory(),
        visited_on=timezone.localdate(),
        repair_order="RO9",
        origin=ORIGIN,
    )
    alert.refresh_from_db()
    assert alert.is_open


def test_open_alerts_are_listed_most_severe_first_in_one_query(django_assert_num_queries):
    vehicle = VehicleFactory()
    now = timezone.now()
    info = raise_alert(vehicle, alert_id="1", severity="info", raised_at=now - timedelta(minutes=1))
    critical = raise_alert(vehicle, alert_id="2", severity="critical", raised_at=now - timedelta(hours=2))
    warning = raise_alert(vehicle, alert_id="3", severity="warning", raised_at=now - timedelta(minutes=2))
    closed = raise_alert(vehicle, alert_id="4", severity="critical")
    alert_close(alert=closed, advisor=None, reason="done")
    with django_assert_num_queries(1):
        listed = vehicle_open_alerts(vehicle)
    assert [a.pk for a in listed] == [critical.pk, warning.pk, info.pk]


def test_the_database_keeps_a_closed_alert_consistent():
    alert = raise_alert(VehicleFactory())
    with pytest.raises(IntegrityError), transaction.atomic():
        VehicleAlert.objects.filter(pk=alert.pk).update(status="closed")


def test_a_car_read_with_its_owner_and_no_open_alert_costs_no_alert_query(django_assert_num_queries):
    vehicle = VehicleFactory()
    closed = raise_alert(vehicle)
    alert_close(alert=closed, advisor=None, reason="done")
    loaded = vehicle_with_owner(vehicle.pk)
    with django_assert_num_queries(0):
        assert vehicle_open_alerts(loaded) == []
    raise_alert(vehicle, alert_id="again")
    assert len(vehicle_open_alerts(vehicle_with_owner(vehicle.pk))) == 1
