"""A car's telematics alert, told to its owner after commit: once per alert, consent and quiet hours
applied (a critical alert goes out at any hour), with the vouchers operations' rules attach."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, transaction

from campaigns.models import AlertVoucherGrant, AlertVoucherRule, Notification
from campaigns.services.alerts import vehicle_alert_notify
from tests.factories import DefinitionFactory, MemberFactory, OwnedVehicleFactory, VehicleFactory, raise_alert
from vehicles.services.alerts import alert_close
from vouchers.models import Voucher

pytestmark = pytest.mark.django_db
TPE = ZoneInfo("Asia/Taipei")
Purpose = Notification.Purpose


def _raised(vehicle, django_capture_on_commit_callbacks, **kwargs):
    with django_capture_on_commit_callbacks(execute=True):
        return raise_alert(vehicle, **kwargs)


def test_a_new_alert_tells_the_owner_once_with_a_link_to_the_cars_alerts(
    q_sync, django_capture_on_commit_callbacks
):
    member = MemberFactory(consent_service=True)
    car = OwnedVehicleFactory(owner=member)
    alert = _raised(car, django_capture_on_commit_callbacks, kind="battery", message="Battery at 11.6 V")
    note = Notification.objects.get(member=member)
    assert note.purpose == Purpose.VEHICLE_ALERT and note.status != Notification.Status.SKIPPED
    assert "Battery" in note.body and "Battery at 11.6 V" in note.body and car.plate in note.body
    assert f"/portal/vehicles/{car.pk}/#alerts" in note.body
    assert f"/portal/bookings/new/?vehicle={car.pk}&service=maintenance" in note.body
    # The task again (a retry), and the same alert resent: no second message.
    vehicle_alert_notify(alert_id=alert.pk)
    _raised(
        car,
        django_capture_on_commit_callbacks,
        kind="battery",
        message="Battery at 11.6 V",
        raised_at=alert.raised_at,
    )
    assert Notification.objects.filter(member=member).count() == 1


def test_without_consent_to_service_messages_the_message_is_skipped(
    q_sync, django_capture_on_commit_callbacks
):
    member = MemberFactory(consent_service=False)
    _raised(OwnedVehicleFactory(owner=member), django_capture_on_commit_callbacks)
    note = Notification.objects.get(member=member)
    assert note.status == Notification.Status.SKIPPED and note.skip_reason


def test_a_car_nobody_owns_tells_nobody(q_sync, django_capture_on_commit_callbacks):
    _raised(VehicleFactory(), django_capture_on_commit_callbacks)
    assert not Notification.objects.exists()


def test_an_alert_closed_before_the_task_runs_tells_nobody():
    member = MemberFactory(consent_service=True)
    alert = raise_alert(OwnedVehicleFactory(owner=member))
    alert_close(alert=alert, advisor=None, reason="seen at the counter")
    assert vehicle_alert_notify(alert_id=alert.pk) is None
    assert not Notification.objects.exists()


@pytest.mark.parametrize(("severity", "waits"), [("warning", True), ("info", True), ("critical", False)])
def test_in_quiet_hours_only_a_critical_alert_goes_out_at_once(settings, severity, waits):
    settings.NOTIFY_QUIET_HOURS = "21:00-09:00"
    member = MemberFactory(consent_service=True)
    night = datetime(2026, 6, 1, 23, 30, tzinfo=TPE)
    alert = raise_alert(OwnedVehicleFactory(owner=member), severity=severity, raised_at=night, now=night)
    note = vehicle_alert_notify(alert_id=alert.pk, now=night)
    expected_purpose = Purpose.VEHICLE_ALERT_CRITICAL if severity == "critical" else Purpose.VEHICLE_ALERT
    assert note.purpose == expected_purpose
    assert note.not_before == (datetime(2026, 6, 2, 9, 0, tzinfo=TPE) if waits else night)


def _rule(kind="tyre_pressure", min_severity="warning", **definition):
    return AlertVoucherRule.objects.create(
        kind=kind, min_severity=min_severity, definition=DefinitionFactory(name="Tyre check", **definition)
    )


def test_a_rule_issues_its_voucher_to_the_car_once_per_alert_and_the_message_names_it():
    member = MemberFactory(consent_service=True)
    car = OwnedVehicleFactory(owner=member)
    rule = _rule()
    first = raise_alert(car, alert_id="1", severity="critical")
    note = vehicle_alert_notify(alert_id=first.pk)
    vehicle_alert_notify(alert_id=first.pk)  # a retried task issues nothing more
    assert Voucher.objects.filter(vehicle=car, definition=rule.definition).count() == 1
    assert AlertVoucherGrant.objects.get(alert=first, rule=rule).vouchers_issued == 1
    assert "Tyre check" in note.body
    second = raise_alert(car, alert_id="2", severity="warning")
    vehicle_alert_notify(alert_id=second.pk)
    assert Voucher.objects.filter(vehicle=car, definition=rule.definition).count() == 2


@pytest.mark.parametrize(
    ("rule_values", "alert_values"),
    [
        ({"min_severity": "critical"}, {"severity": "warning"}),
        ({"kind": "battery"}, {"kind": "tyre_pressure"}),
    ],
)
def test_a_rule_for_another_kind_or_a_higher_severity_issues_nothing(rule_values, alert_values):
    car = OwnedVehicleFactory(owner=MemberFactory(consent_service=True))
    _rule(**rule_values)
    alert = raise_alert(car, **alert_values)
    vehicle_alert_notify(alert_id=alert.pk)
    assert not Voucher.objects.exists() and not AlertVoucherGrant.objects.exists()


def test_an_inactive_rule_issues_nothing():
    rule = _rule()
    rule.active = False
    rule.save()
    alert = raise_alert(OwnedVehicleFactory(owner=MemberFactory(consent_service=True)))
    vehicle_alert_notify(alert_id=alert.pk)
    assert not Voucher.objects.exists()


def test_a_refused_issue_is_kept_once_and_the_owner_is_still_told():
    rule = _rule(status="draft")
    member = MemberFactory(consent_service=True)
    alert = raise_alert(OwnedVehicleFactory(owner=member))
    note = vehicle_alert_notify(alert_id=alert.pk)
    vehicle_alert_notify(alert_id=alert.pk)
    grant = AlertVoucherGrant.objects.get(alert=alert, rule=rule)
    assert grant.status == AlertVoucherGrant.Status.REFUSED and grant.reason
    assert note is not None and "Tyre check" not in note.body
    assert not Voucher.objects.exists()


def test_a_car_nobody_owns_still_gets_a_vehicle_held_voucher():
    rule = _rule()
    car = VehicleFactory()
    alert = raise_alert(car)
    assert vehicle_alert_notify(alert_id=alert.pk) is None
    assert Voucher.objects.filter(vehicle=car, definition=rule.definition).count() == 1


def test_one_active_rule_per_kind_and_definition():
    rule = _rule()
    with pytest.raises(IntegrityError), transaction.atomic():
        AlertVoucherRule.objects.create(kind=rule.kind, min_severity="critical", definition=rule.definition)
    AlertVoucherRule.objects.create(kind=rule.kind, definition=rule.definition, active=False)


def test_the_message_is_in_the_owners_language():
    member = MemberFactory(consent_service=True, language="zh-hant")
    alert = raise_alert(OwnedVehicleFactory(owner=member), kind="oil_life")
    note = vehicle_alert_notify(alert_id=alert.pk)
    assert "機油" in note.body and "車輛提醒" in note.subject


@pytest.mark.parametrize(("kind", "service"), [("tyre_pressure", "tyre"), ("warning_lamp", "maintenance")])
def test_the_messages_booking_link_asks_for_the_service_that_checks_the_alert(
    kind, service, q_sync, django_capture_on_commit_callbacks
):
    member = MemberFactory(consent_service=True)
    car = OwnedVehicleFactory(owner=member)
    _raised(car, django_capture_on_commit_callbacks, kind=kind)
    assert f"/portal/bookings/new/?vehicle={car.pk}&service={service}" in Notification.objects.get().body
