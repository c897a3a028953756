"""Demo telematics alerts: a dozen cars reported something; two rules attach a tyre-check voucher;
a few alerts were closed at the counter or by a workshop visit."""

from datetime import datetime, timedelta

from django.utils import timezone

from members.models import DealerStaff
from vehicles.models import Vehicle, Visit
from vehicles.services import Origin, visit_record
from vehicles.services.alerts import alert_close, alert_raise
from vouchers.models import VoucherDefinition
from vouchers.services import definition_publish

from ..models import AlertVoucherRule
from ..services.alerts import vehicle_alert_notify

D = VoucherDefinition
SENDER = "demo-telematics"
# (kind, severity, message shown to the owner)
ALERTS = [
    ("tyre_pressure", "warning", "左前輪胎壓 170 kPa，低於建議值 230 kPa"),
    ("battery", "warning", "電瓶電壓 11.8 V，建議檢測"),
    ("oil_life", "info", "機油壽命剩餘 10%"),
    ("warning_lamp", "critical", "引擎故障燈亮起"),
    ("service_due", "info", "距下次保養約 500 公里"),
    ("tyre_pressure", "critical", "右後輪胎壓快速下降"),
    ("battery", "critical", "電瓶無法充電"),
    ("oil_life", "warning", "機油壽命剩餘 3%"),
    ("tyre_pressure", "warning", "四輪胎壓偏低"),
    ("warning_lamp", "warning", "胎壓監測系統警示燈亮起"),
    ("service_due", "warning", "已超過保養里程"),
    ("battery", "info", "遙控鑰匙電池電量低"),
]


def _tyre_check_definition() -> VoucherDefinition:
    definition = D.objects.create(
        code="alert-tyre-check",
        name="胎壓異常免費檢查",
        kind=D.Kind.COMPLIMENTARY,
        category=D.Category.TYRE,
        holder_type=D.HolderType.VEHICLE,
        validity_policy=D.ValidityPolicy.DAYS_FROM_ISSUE,
        validity_days=30,
        channel_manual=True,
        card_title="胎壓檢查",
        card_subtitle="車輛提醒專屬，30 天內有效",
        card_colour="#E65100",
        wizard_step=4,
    )
    definition_publish(definition=definition)
    return definition


def alerts_seed(*, now: datetime) -> None:
    tyre_check = _tyre_check_definition()
    AlertVoucherRule.objects.create(kind="tyre_pressure", min_severity="warning", definition=tyre_check)
    AlertVoucherRule.objects.create(kind="warning_lamp", min_severity="critical", definition=tyre_check)
    cars = list(Vehicle.objects.filter(ownerships__ended_at__isnull=True).order_by("pk")[5:65:5])
    alerts = []
    for n, (car, (kind, severity, message)) in enumerate(zip(cars, ALERTS, strict=False)):
        raised_at = now - timedelta(hours=3 + 7 * n)
        alert, _created = alert_raise(
            vehicle=car,
            sender=SENDER,
            sender_alert_id=f"DEMO-{n + 1:04d}",
            kind=kind,
            severity=severity,
            message=message,
            raised_at=raised_at,
            now=raised_at,
        )
        vehicle_alert_notify(alert_id=alert.pk, now=raised_at)
        alerts.append(alert)
    advisor = (
        DealerStaff.objects.filter(role=DealerStaff.Role.ADVISOR).select_related("user", "dealer").first()
    )
    for alert in alerts[8:10]:
        alert_close(
            alert=alert, advisor=advisor.user, dealer=advisor.dealer, reason="已現場檢查並調整", now=now
        )
    if alerts:
        # The last car came in for a service: its visit closed its alert.
        visit_record(
            vehicle=alerts[-1].vehicle,
            dealer=advisor.dealer,
            visited_on=timezone.localdate(now),
            repair_order="RO-ALERT-DEMO",
            kind=Visit.Kind.MAINTENANCE,
            origin=Origin(source=Visit.Source.BACK_OFFICE, label="demo"),
            now=now,
        )
