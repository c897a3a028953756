"""Demo offers: the offers reminders carry, and the three follow-up rules of seed 003 with a few
past services due tonight (a coating six months ago, a detailing a month ago, tyres 10,000 km ago),
followed up through the nightly job's own step."""

from datetime import datetime, timedelta

from members.actors import Actor
from members.models import Dealer, Member
from redemption.services import redemption_redeem
from vehicles.identifiers import vin_check_digit
from vehicles.models import Vehicle, VehicleModel
from vehicles.selectors import current_owner_id_subquery
from vehicles.services import vehicle_record_mileage, vehicle_register
from vouchers.models import VoucherDefinition
from vouchers.services import definition_publish, voucher_issue
from vouchers.validity import add_months, local_date, start_of_day

from ..models import FollowUpRule, OfferMode, ReminderOffer
from ..services.followups import followups_send
from ..services.reminders import service_reminders

D = VoucherDefinition
DEMO = Actor.system("demo")

OFFERS = [
    dict(
        code="coating-maintenance-offer",
        name="鍍膜保養優惠",
        kind=D.Kind.PROMOTIONAL,
        category=D.Category.COATING,
        validity_policy=D.ValidityPolicy.DAYS_FROM_ISSUE,
        validity_days=60,
        card_title="鍍膜保養",
        card_subtitle="鍍膜半年後的維護保養一次",
        card_colour="#4527A0",
    ),
    dict(
        code="after-detailing-wash",
        name="美容後洗車禮（三次）",
        kind=D.Kind.PROMOTIONAL,
        category=D.Category.WASH,
        uses_per_voucher=3,
        validity_policy=D.ValidityPolicy.DAYS_FROM_ISSUE,
        validity_days=90,
        card_title="洗車三次",
        card_subtitle="美容後的洗車禮",
        card_colour="#00695C",
    ),
    dict(
        code="tyre-rotation",
        name="輪胎對調服務",
        kind=D.Kind.PROMOTIONAL,
        category=D.Category.TYRE,
        validity_policy=D.ValidityPolicy.DAYS_FROM_ISSUE,
        validity_days=60,
        channel_claim=True,
        stock_total=200,
        card_title="輪胎對調",
        card_subtitle="換胎行駛一萬公里後對調一次",
        card_colour="#37474F",
    ),
    dict(
        code="detailing-single",
        name="精緻美容（單次）",
        kind=D.Kind.COMPLIMENTARY,
        category=D.Category.DETAILING,
        validity_policy=D.ValidityPolicy.DAYS_FROM_ISSUE,
        validity_days=180,
        card_title="精緻美容",
        card_subtitle="全車美容一次",
        card_colour="#212121",
    ),
    dict(
        code="coating-single",
        name="全車鍍膜施工",
        kind=D.Kind.COMPLIMENTARY,
        category=D.Category.COATING,
        validity_policy=D.ValidityPolicy.DAYS_FROM_ISSUE,
        validity_days=180,
        card_title="全車鍍膜",
        card_subtitle="鍍膜施工一次",
        card_colour="#6A1B9A",
    ),
    dict(
        code="tyre-change",
        name="四輪換胎工資",
        kind=D.Kind.COMPLIMENTARY,
        category=D.Category.TYRE,
        validity_policy=D.ValidityPolicy.DAYS_FROM_ISSUE,
        validity_days=180,
        card_title="換胎工資",
        card_subtitle="四輪換胎工資一次",
        card_colour="#E65100",
    ),
]


def _definitions() -> dict[str, VoucherDefinition]:
    found = {}
    for spec in OFFERS:
        definition = D.objects.create(**spec, channel_manual=True, wizard_step=4)
        definition_publish(definition=definition)
        found[definition.code] = definition
    return found


def _rules(offers: dict[str, VoucherDefinition]) -> None:
    FollowUpRule.objects.create(
        name="鍍膜半年保養優惠",
        trigger_category=D.Category.COATING,
        after_months=6,
        mode=OfferMode.ISSUE,
        definition=offers["coating-maintenance-offer"],
        message_zh_hant=(
            "{{ name }} 您好，您的 {{ plate }} 於 {{ serviced_on }} 完成鍍膜，已滿半年。"
            "送您「{{ offer_title }}」一次，歡迎預約：{{ offer_url }}"
        ),
        message_en=(
            "Hello {{ name }}, it is six months since {{ plate }} was coated on {{ serviced_on }}. "
            "Here is your “{{ offer_title }}”: {{ offer_url }}"
        ),
    )
    FollowUpRule.objects.create(
        name="美容後洗車套票",
        trigger_category=D.Category.DETAILING,
        after_days=30,
        mode=OfferMode.ISSUE,
        definition=offers["after-detailing-wash"],
        message_zh_hant=(
            "{{ name }} 您好，{{ plate }} 美容後一個月，送您「{{ offer_title }}」，"
            "保持車況亮麗：{{ offer_url }}"
        ),
    )
    FollowUpRule.objects.create(
        name="換胎一萬公里輪胎對調",
        trigger_category=D.Category.TYRE,
        after_km=10_000,
        mode=OfferMode.CLAIM,
        definition=offers["tyre-rotation"],
        message_zh_hant=(
            "{{ name }} 您好，{{ plate }} 換胎後已行駛約 {{ km_since }} 公里，建議輪胎對調。"
            "請至領券中心領取「{{ offer_title }}」：{{ offer_url }}"
        ),
    )


def _reminder_offers(offers: dict[str, VoucherDefinition]) -> None:
    winback = D.objects.get(code="winback-wash")
    ReminderOffer.objects.create(
        name="保養提醒附贈洗車券", reminder=ReminderOffer.Reminder.SERVICE, definition=winback
    )
    ReminderOffer.objects.create(
        name="年檢提醒附輪胎對調領券",
        reminder=ReminderOffer.Reminder.INSPECTION,
        mode=OfferMode.CLAIM,
        definition=offers["tyre-rotation"],
    )


def _past_service(definition, car: Vehicle, dealer: Dealer, at: datetime, key: str) -> None:
    voucher = voucher_issue(
        definition=definition, source="manual", vehicle=car, actor=DEMO, reason="示範", now=at
    )[0]
    redemption_redeem(
        voucher=voucher,
        vehicle=car,
        dealer=dealer,
        idempotency_key=key,
        actor=DEMO,
        now=at + timedelta(hours=1),
    )


def offers_seed(*, now: datetime) -> None:
    offers = _definitions()
    _rules(offers)
    _reminder_offers(offers)
    today = local_date(now)
    # Owned cars delivered over a year ago whose owners accept marketing, in a fixed order.
    cars = list(
        Vehicle.objects.annotate(owner_id=current_owner_id_subquery("pk"))
        .filter(
            owner_id__isnull=False,
            delivery_date__lt=today - timedelta(days=400),
            ownerships__ended_at__isnull=True,
            ownerships__member__consent_marketing=True,
        )
        .exclude(plate_key__startswith="DMO")
        .order_by("pk")[:3]
    )
    dealer = Dealer.objects.order_by("pk").first()
    if len(cars) < 3 or dealer is None:
        return
    coated, detailed, tyred = cars
    six_months = start_of_day(add_months(today, -6) - timedelta(days=3)) + timedelta(hours=10)
    _past_service(offers["coating-single"], coated, dealer, six_months, "demo-followup-coating")
    _past_service(
        offers["detailing-single"], detailed, dealer, now - timedelta(days=33), "demo-followup-detailing"
    )
    _past_service(offers["tyre-change"], tyred, dealer, now - timedelta(days=120), "demo-followup-tyre")
    tyred.refresh_from_db()
    vehicle_record_mileage(
        vehicle=tyred, km=tyred.last_mileage_km + 10_400, source="示範", now=now - timedelta(days=2)
    )
    followups_send(now=now)
    _service_due_in_a_week(dealer, today)
    service_reminders(now=now)


def _service_due_in_a_week(dealer: Dealer, today) -> None:
    """A car delivered a year ago less a week to an owner who takes service reminders: tonight's
    service reminder (a week ahead) carries the service reminder's offer."""
    owner = Member.objects.filter(consent_service=True).exclude(phone="").order_by("pk").first()
    model = (
        VehicleModel.objects.filter(service_interval_months=12, service_interval_km=15000)
        .order_by("pk")
        .first()
    )
    if owner is None or model is None:
        return
    body = "WBA5R1C00LF900001"
    vehicle_register(
        vin=body[:8] + vin_check_digit(body) + body[9:],
        plate="OFR-0001",
        model=model,
        owner=owner,
        delivery_date=add_months(today, -12) + timedelta(days=7),
        selling_dealer=dealer,
        now=start_of_day(add_months(today, -12) + timedelta(days=7)) + timedelta(hours=10),
    )
