"""Demo outreach: saved audiences, campaigns in several states, the outbox they fill, a delivery's
event voucher, a binding request waiting for operations and a checked bulk issuance, so every
back-office list has rows.

Built through the services, like the rest of the demo data; messages stay in the outbox (the
worker sends them), so loading the demo never prints a message.
"""

from datetime import datetime, timedelta

from django.utils import timezone

from campaigns.models import Campaign, Segment
from campaigns.services import (
    campaign_schedule,
    campaigns_run_due,
    event_vouchers_issue,
)
from campaigns.services.reminders import expiry_reminders
from members.models import Dealer, Member, Tier
from vehicles.models import Vehicle, VehicleModel
from vehicles.services import binding_request_submit
from vouchers.models import VoucherDefinition
from vouchers.services.bulk import issue_batch_submit


def _segments(models: dict[str, VehicleModel], dealers: dict[str, Dealer], today) -> dict[str, Segment]:
    suv = Segment.objects.create(
        name="台北休旅車車主",
        description="在台北內湖服務廠購車的休旅車車主。",
        consent=Segment.Consent.MARKETING,
    )
    suv.vehicle_models.set([models["X3"], models["X5"]])
    suv.dealers.set([dealers["TPE01"]])
    idle = Segment.objects.create(
        name="半年未回廠",
        description="超過半年沒有回廠的車輛。",
        last_visit_before=today - timedelta(days=182),
        consent=Segment.Consent.SERVICE,
    )
    gold = Segment.objects.create(name="金卡以上會員", min_tier=Tier.GOLD, consent=Segment.Consent.MARKETING)
    return {"suv": suv, "idle": idle, "gold": gold}


def _campaigns(
    segments: dict[str, Segment], definitions: dict[str, VoucherDefinition], now: datetime
) -> None:
    done = Campaign.objects.create(
        name="冬季休旅車洗車禮",
        description="寄送簡訊並發放一張休旅洗車券。",
        segment=segments["suv"],
        message_zh_hant="{{ name }} 您好，您的 {{ model }}（{{ plate }}）獲得一張休旅洗車券，歡迎回廠使用。",
        message_en="Hello {{ name }}, your {{ model }} ({{ plate }}) has a free SUV wash. See you soon.",
        definition=definitions["winback-wash"],
        max_recipients=40,
    )
    campaign_schedule(campaign=done, scheduled_at=now - timedelta(days=3), now=now - timedelta(days=4))
    campaigns_run_due(now=now - timedelta(days=3))
    upcoming = Campaign.objects.create(
        name="春節前保養提醒",
        description="提醒半年未回廠的車主在春節前預約保養。",
        segment=segments["idle"],
        message_zh_hant="{{ name }} 您好，春節將至，歡迎預約 {{ plate }} 的定期保養。",
    )
    campaign_schedule(campaign=upcoming, scheduled_at=now + timedelta(days=14), now=now)
    Campaign.objects.create(
        name="金卡會員美容體驗（草稿）",
        segment=segments["gold"],
        message_zh_hant="{{ name }} 您好，感謝您長期支持，邀請您體驗精緻美容服務。",
    )


def _delivery_gift(cars: list[Vehicle], now: datetime) -> None:
    """A delivery's event voucher, issued here rather than by the worker's task (which then finds it
    issued and does nothing), so the event-issuance list has a row."""
    car = cars[0]
    owner = car.ownerships.current().first()
    event_vouchers_issue(
        event=VoucherDefinition.TriggerEvent.VEHICLE_DELIVERED,
        vehicle=car,
        member=owner.member if owner else None,
        now=now,
    )


def _binding_request(owners: list[Member]) -> None:
    """An owner asks for a car sold to someone else's number: operations must decide."""
    car = Vehicle.objects.filter(plate_key__startswith="DMO").order_by("pk").last()
    binding_request_submit(member=owners[-1], vin=car.vin, plate=car.plate)


def _bulk_issuance(definitions: dict[str, VoucherDefinition], cars: list[Vehicle], now: datetime) -> None:
    plates = [car.plate for car in cars[:12]] + ["ABC-0000", "不是車牌"]
    issue_batch_submit(
        definition=definitions["winback-wash"],
        reason="門市活動名單補發",
        source_kind="file",
        source_label="門市活動名單.csv",
        values=list(enumerate(plates, start=1)),
        check_now=True,
        now=now,
    )


def outreach_seed(*, definitions, dealers, models, owners, cars, now: datetime) -> None:
    segments = _segments(models, dealers, timezone.localdate(now))
    _campaigns(segments, definitions, now)
    expiry_reminders(now=now)
    _delivery_gift(cars, now)
    _binding_request(owners)
    _bulk_issuance(definitions, cars, now)
