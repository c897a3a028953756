"""Builds the demo data set through the services, so its ledger reconciles like real data.

Deterministic (a fixed random seed) and all-or-nothing; `seed_demo` skips it when the demo dealers
already exist, so running it twice is safe.
"""

import io
import random
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from members.actors import Actor
from members.exceptions import InvalidPhone
from members.models import Dealer, DealerStaff, Member, Tier
from members.phones import phone_normalise
from members.services import dealer_staff_assign
from shop.models import Payment, PaymentNotification, ShopNotice
from shop.services import order_refund_request
from vehicles.identifiers import vin_check_digit
from vehicles.imports.services import import_batch_submit
from vehicles.models import Vehicle, VehicleModel
from vehicles.services import vehicle_authorise_driver, vehicle_register, vehicle_transfer_ownership
from vouchers.exceptions import VoucherNotUsable
from vouchers.models import Bundle, BundleItem, Order, Voucher, VoucherDefinition
from vouchers.services import (
    definition_publish,
    order_issue,
    refund_approve,
    voucher_activate,
    voucher_issue,
    voucher_refund_request,
    voucher_void,
    vouchers_expire_due,
)

from .accounts import DEALERS, DEMO_OWNER_PHONES, DEMO_PASSWORD, FINANCE_USER, OPERATIONS_USER
from .alerts import alerts_seed
from .bookings import bookings_seed
from .extensions import run_demo_seeders
from .loyalty import loyalty_seed
from .nps import nps_seed
from .outreach import outreach_seed
from .referrals import referral_seed

# Who the demo data says acted, where no demo person did.
DEMO = Actor.system("demo")

D = VoucherDefinition
# Who the ledger says made the demo history (shown in the back office as it is: one language).
SURNAMES = "陳林黃張李王吳劉蔡楊許鄭謝郭洪曾邱廖賴周"
GIVEN = [
    "志明",
    "春嬌",
    "家豪",
    "怡君",
    "俊傑",
    "雅婷",
    "建宏",
    "淑芬",
    "冠宇",
    "佳穎",
    "承恩",
    "宜蓁",
    "柏翰",
    "詩涵",
]
# A model's name is what a Taiwanese dealer writes: the model designation, then the body in Chinese.
MODELS = [
    ("S3", "S3 四門房車", 15000, 12),
    ("S5", "S5 四門房車", 15000, 12),
    ("X3", "X3 休旅車", 15000, 12),
    ("X5", "X5 休旅車", 15000, 12),
    ("I4", "i4 電動車", 30000, 24),
    ("H1", "H1 掀背車", 10000, 12),
]
# Each dealer's switchboard, in its city's area code.
DEALER_PHONES = {"TPE01": "02-2627-5168", "TCH01": "04-2452-3388", "KHH01": "07-558-6677"}
PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"


@dataclass
class Summary:
    dealers: int = 0
    members: int = 0
    vehicles: int = 0
    definitions: int = 0
    vouchers: int = 0
    redemptions: int = 0


def _definitions(dealers: dict[str, Dealer], models: dict[str, VehicleModel], today: date) -> dict[str, D]:
    specs = [
        dict(
            code="wash-pack-5",
            name="精緻洗車五次套票",
            kind=D.Kind.PAID,
            category=D.Category.WASH,
            uses_per_voucher=5,
            face_value_twd=1500,
            validity_policy=D.ValidityPolicy.NO_EXPIRY,
            channel_bundle=True,
            channel_shop=True,
            refundable=True,
            card_title="精緻洗車 5 次",
            card_subtitle="任一服務廠皆可使用",
            card_colour="#0F4C81",
            usage_rules="每次到廠限用一次；可於任一服務廠使用。",
        ),
        dict(
            code="new-car-wash",
            name="新車首年洗車禮",
            kind=D.Kind.COMPLIMENTARY,
            category=D.Category.WASH,
            uses_per_voucher=4,
            holder_type=D.HolderType.MEMBER_VEHICLE,
            validity_policy=D.ValidityPolicy.DAYS_FROM_ISSUE,
            validity_days=365,
            channel_event=True,
            trigger_event=D.TriggerEvent.VEHICLE_DELIVERED,
            card_title="新車洗車禮",
            card_subtitle="首位車主專屬",
            card_colour="#2E7D32",
            usage_rules="限首位車主使用，車輛過戶後失效。",
        ),
        dict(
            code="maintenance-12",
            name="十二年定期保養券",
            kind=D.Kind.COMPLIMENTARY,
            category=D.Category.MAINTENANCE,
            validity_policy=D.ValidityPolicy.DELIVERY_WINDOW,
            series_count=12,
            delivery_window_months=12,
            series_step_months=12,
            warn_days=60,
            card_title="定期保養",
            card_subtitle="每年保養一次，共 12 年",
            card_colour="#37474F",
            usage_rules="第 1 張於交車後第 1 年內有效，第 2 張於第 2 年內有效，依此類推。",
        ),
        dict(
            code="coating-care",
            name="鍍膜維護兩次",
            kind=D.Kind.PAID,
            category=D.Category.COATING,
            uses_per_voucher=2,
            face_value_twd=6000,
            validity_policy=D.ValidityPolicy.NO_EXPIRY,
            channel_bundle=True,
            channel_shop=True,
            refundable=True,
            card_title="鍍膜維護",
            card_subtitle="鍍膜維護 2 次",
            card_colour="#6A1B9A",
        ),
        dict(
            code="interior-spring",
            name="春季內裝清潔（會員領取）",
            kind=D.Kind.PROMOTIONAL,
            category=D.Category.INTERIOR,
            holder_type=D.HolderType.MEMBER,
            validity_policy=D.ValidityPolicy.FIXED,
            valid_from_date=today - timedelta(days=30),
            valid_until_date=today + timedelta(days=20),
            channel_claim=True,
            claim_min_tier=Tier.SILVER,
            stock_total=400,
            per_holder_limit=1,
            card_title="內裝清潔",
            card_subtitle="銀卡以上會員限定",
            card_colour="#AD1457",
        ),
        dict(
            code="tyre-check",
            name="輪胎安全檢查",
            kind=D.Kind.PROMOTIONAL,
            category=D.Category.TYRE,
            validity_policy=D.ValidityPolicy.DAYS_FROM_ACTIVATION,
            validity_days=60,
            activation_mode=D.ActivationMode.HOLDER,
            channel_claim=True,
            claim_owners_only=True,
            card_title="輪胎檢查",
            card_subtitle="啟用後 60 天內有效",
            card_colour="#E65100",
        ),
        dict(
            code="birthday-wash",
            name="生日洗車禮",
            kind=D.Kind.PROMOTIONAL,
            category=D.Category.WASH,
            holder_type=D.HolderType.MEMBER,
            validity_policy=D.ValidityPolicy.DAYS_FROM_ISSUE,
            validity_days=30,
            channel_event=True,
            trigger_event=D.TriggerEvent.BIRTHDAY,
            trigger_once_per=D.TriggerOncePer.MEMBER,
            card_title="生日快樂",
            card_subtitle="生日當月洗車一次",
            card_colour="#C62828",
        ),
        dict(
            code="vip-detailing",
            name="VIP 精緻美容",
            kind=D.Kind.COMPLIMENTARY,
            category=D.Category.DETAILING,
            holder_type=D.HolderType.MEMBER,
            validity_policy=D.ValidityPolicy.FIXED,
            valid_until_date=today + timedelta(days=180),
            activation_mode=D.ActivationMode.HOLDER,
            activation_requires_verified_identity=True,
            card_title="VIP 美容",
            card_subtitle="完成身分驗證後即可啟用",
            card_colour="#212121",
        ),
        dict(
            code="winback-wash",
            name="久未回廠洗車券",
            kind=D.Kind.PROMOTIONAL,
            category=D.Category.WASH,
            validity_policy=D.ValidityPolicy.DAYS_FROM_ISSUE,
            validity_days=45,
            channel_event=True,
            trigger_event=D.TriggerEvent.NO_VISIT,
            card_title="好久不見",
            card_subtitle="回廠洗車一次",
            card_colour="#00838F",
        ),
        dict(
            code="detailing-order",
            name="美容套餐（訂單）",
            kind=D.Kind.PAID,
            category=D.Category.DETAILING,
            holder_type=D.HolderType.ORDER,
            validity_policy=D.ValidityPolicy.NO_EXPIRY,
            uses_per_voucher=3,
            face_value_twd=4500,
            channel_bundle=True,
            channel_manual=False,
            refundable=True,
            card_title="美容套餐",
            card_subtitle="精緻美容 3 次",
            card_colour="#4E342E",
        ),
        dict(
            code="referral-gift",
            name="推薦好友禮",
            kind=D.Kind.PROMOTIONAL,
            category=D.Category.OTHER,
            holder_type=D.HolderType.MEMBER,
            validity_policy=D.ValidityPolicy.DAYS_FROM_ISSUE,
            validity_days=90,
            card_title="推薦禮",
            card_subtitle="感謝您推薦親友",
            card_colour="#558B2F",
        ),
        dict(
            code="repurchase-benefit",
            name="再購禮遇：保養折抵",
            kind=D.Kind.PROMOTIONAL,
            category=D.Category.MAINTENANCE,
            holder_type=D.HolderType.MEMBER,
            holder_has_owned=True,
            validity_policy=D.ValidityPolicy.DAYS_FROM_ISSUE,
            validity_days=365,
            channel_claim=True,
            per_holder_limit=1,
            card_title="再購禮遇",
            card_subtitle="曾為車主，再次購車享保養折抵",
            card_colour="#6A1B9A",
            usage_rules="限曾經擁有本品牌車輛的會員領取，現在是否仍為車主皆可。",
        ),
        dict(
            code="suv-taipei-wash",
            name="台北限定休旅洗車",
            kind=D.Kind.PROMOTIONAL,
            category=D.Category.WASH,
            validity_policy=D.ValidityPolicy.DAYS_FROM_ISSUE,
            validity_days=60,
            channel_api=True,
            activation_mode=D.ActivationMode.PARTNER,
            card_title="休旅洗車",
            card_subtitle="台北內湖限定",
            card_colour="#1565C0",
            usage_rules="限 SUV 車款，限台北內湖服務廠。",
        ),
    ]
    definitions = {}
    for spec in specs:
        spec.setdefault("channel_manual", True)
        definition = D.objects.create(**spec, wizard_step=4)
        definitions[definition.code] = definition
    definitions["suv-taipei-wash"].allowed_models.set([models["X3"], models["X5"]])
    definitions["suv-taipei-wash"].allowed_dealers.set([dealers["TPE01"]])
    definitions["tyre-check"].claim_models.set([models["X3"], models["X5"], models["S5"]])
    for definition in definitions.values():
        definition_publish(definition=definition)
    return definitions


def demo_owner_phones(count: int) -> list[str]:
    """`count` distinct mobile numbers (E.164), the memorable ones first; each one is a number the
    portal's sign-in accepts (a random 09 number may not be a mobile range in use: those are skipped)."""
    rng = random.Random(886)
    phones = list(DEMO_OWNER_PHONES[:count])
    while len(phones) < count:
        try:
            phone = phone_normalise(f"09{rng.randint(0, 99_999_999):08d}")
        except InvalidPhone:
            continue
        if phone not in phones:
            phones.append(phone)
    return phones


def _vin(rng: random.Random, european: bool) -> str:
    body = "WBA" + "".join(rng.choice(VIN_CHARS) for _ in range(14))
    check = vin_check_digit(body)
    if european:  # European-built cars often carry another character at position 9
        check = "Z" if check != "Z" else "Y"
    return body[:8] + check + body[9:]


def _plate(index: int, rng: random.Random) -> str:
    letters = "".join(rng.choice(PLATE_LETTERS) for _ in range(3))
    if index % 10 == 0:
        return f"{rng.randint(1000, 9999)}-{letters[:2]}"
    return f"{letters}-{rng.randint(1000, 9999)}"


def _staff(dealers: dict[str, Dealer]) -> None:
    user_model = get_user_model()
    ops, _ = user_model.objects.get_or_create(username=OPERATIONS_USER, defaults={"first_name": "營運"})
    ops.is_staff = True
    ops.is_superuser = False  # operations work through the Operations group (setup_groups)
    ops.set_password(DEMO_PASSWORD)
    ops.save()
    finance, _ = user_model.objects.get_or_create(username=FINANCE_USER, defaults={"first_name": "財務"})
    finance.is_staff = True
    finance.set_password(DEMO_PASSWORD)
    finance.save()
    for code, _name, _city, advisor, manager in DEALERS:
        for username, role in ((advisor, DealerStaff.Role.ADVISOR), (manager, DealerStaff.Role.MANAGER)):
            user, _ = user_model.objects.get_or_create(username=username)
            user.is_staff = role == DealerStaff.Role.MANAGER
            user.set_password(DEMO_PASSWORD)
            user.save()
            dealer_staff_assign(user=user, dealer=dealers[code], role=role, display_name=username.upper())
            if role == DealerStaff.Role.MANAGER:
                # Dealer managers may reverse a counter redemption made by mistake.
                from redemption.services import counter_reversal_permission_set

                counter_reversal_permission_set(user=user, allowed=True)


def seed(*, now: datetime | None = None, members: int = 220, vehicles: int = 320) -> Summary:
    now = now or timezone.now()
    today = timezone.localdate(now)
    rng = random.Random(20261123)
    summary = Summary()
    with transaction.atomic():
        dealers = {
            code: Dealer.objects.create(code=code, name=name, city=city, phone=DEALER_PHONES[code])
            for code, name, city, _a, _m in DEALERS
        }
        _staff(dealers)
        models = {
            code: VehicleModel.objects.create(
                code=code, name=name, service_interval_km=km, service_interval_months=m
            )
            for code, name, km, m in MODELS
        }
        definitions = _definitions(dealers, models, today)

        owners = []
        for i, phone in enumerate(demo_owner_phones(members)):
            if Member.objects.filter(phone=phone).exists():
                continue
            owners.append(
                Member.objects.create(
                    phone=phone,
                    name=rng.choice(SURNAMES) + rng.choice(GIVEN),
                    email=f"owner{i}@example.com" if i % 3 else "",
                    birthday=date(rng.randint(1960, 2000), rng.randint(1, 12), rng.randint(1, 28)),
                    tier=rng.choices(list(Tier.values), weights=[50, 30, 15, 5])[0],
                    identity_verified=i % 4 == 0,
                    consent_marketing=i % 3 != 0,
                    preferred_channel=["sms", "email", "line"][i % 3] if i % 3 != 1 or i % 2 else "sms",
                    line_user_id=f"U{uuid.UUID(int=rng.getrandbits(128)).hex}" if i % 3 == 2 else "",
                )
            )
        cars = []
        for i in range(vehicles):
            owner = owners[i % len(owners)]
            delivered = today - timedelta(days=rng.randint(20, 5 * 365))
            km = (today - delivered).days * rng.randint(25, 55)
            for _attempt in range(5):
                plate = _plate(i, rng)
                if not Vehicle.objects.filter(plate_key=plate.replace("-", "")).exists():
                    break
            cars.append(
                vehicle_register(
                    vin=_vin(rng, european=i % 7 == 0),
                    plate=plate,
                    model=rng.choice(list(models.values())),
                    owner=owner,
                    delivery_date=delivered,
                    mileage_km=km,
                    selling_dealer=rng.choice(list(dealers.values())),
                    now=timezone.make_aware(datetime.combine(delivered, datetime.min.time())),
                )
            )
        for i in range(10):  # cars sold but not yet bound: their owners can bind them in the portal
            plate = f"DMO-{1000 + i}"
            vehicle_register(
                vin=_vin(rng, european=False),
                plate=plate,
                model=rng.choice(list(models.values())),
                delivery_date=today - timedelta(days=10 + i),
                selling_dealer=rng.choice(list(dealers.values())),
            )
            Vehicle.objects.filter(plate_key=plate.replace("-", "")).update(
                registered_owner_phone=owners[i].phone
            )
        for i in range(0, len(cars), 9):  # some family members drive a second car
            driver = owners[(i * 7 + 3) % len(owners)]
            if driver.pk != cars[i].ownerships.get().member_id:
                vehicle_authorise_driver(vehicle=cars[i], member=driver, now=now - timedelta(days=30))

        _bundles(definitions, owners, cars, now)
        summary.redemptions = _vouchers_and_history(rng, definitions, dealers, owners, cars, now, today)
        _used_car_sales(definitions, owners, cars, now)
        outreach_seed(
            definitions=definitions, dealers=dealers, models=models, owners=owners, cars=cars, now=now
        )
        _workshop_file(dealers, cars, now)
        _visit_history(rng, dealers, cars, today)
        loyalty_seed(owners=owners, definitions=definitions, now=now)
        referral_seed(owners=owners, definitions=definitions, now=now)
        run_demo_seeders(now=now)
        alerts_seed(now=now)
        nps_seed(now=now)
        bookings_seed(now=now)
    summary.dealers = len(dealers)
    summary.members = Member.objects.count()
    summary.vehicles = Vehicle.objects.count()
    summary.definitions = D.objects.count()
    summary.vouchers = Voucher.objects.count()
    return summary


def _used_car_sales(definitions, owners, cars, now) -> None:
    """A few owners sold their only car: the buyers' ownership voids the sellers' first-owner benefits,
    and the sellers, owners no more, still hold the repurchase benefit (a past ownership is enough)."""
    taken = set(Member.objects.values_list("phone", flat=True))
    spare = [p for p in demo_owner_phones(len(owners) + 50) if p not in taken]
    for n, car in enumerate(cars[100:103]):
        seller = car.ownerships.current().get().member
        buyer = Member.objects.create(phone=spare[n], name="二手車買家")
        vehicle_transfer_ownership(
            vehicle=car, new_owner=buyer, actor=DEMO, reason="二手車過戶", now=now - timedelta(days=40 - n)
        )
        voucher_issue(
            definition=definitions["repurchase-benefit"],
            source=Voucher.Source.DEMO,
            member=seller,
            actor=DEMO,
            now=now - timedelta(days=30 - n),
        )


def _visit_history(rng, dealers: dict[str, Dealer], cars: list[Vehicle], today: date) -> None:
    """Workshop visits of the last two years as the DMS would have reported them (no mileage, so no
    reading is refused), so the customer KPIs and the first-service figures have something to show:
    most cars come back once or twice a year, some not at all (churn)."""
    from vehicles.models import Visit
    from vehicles.services import Origin, visit_record

    origin = Origin(source=Visit.Source.IMPORT, label="demo DMS history")
    dealer_list = list(dealers.values())
    for n, car in enumerate(cars):
        if n % 5 == 4:
            continue  # has not been back
        first = max(car.delivery_date, today - timedelta(days=730))
        for k in range(rng.randint(1, 4)):
            day = first + timedelta(days=rng.randint(20, max(21, (today - first).days - 5)))
            if day > today:
                continue
            visit_record(
                vehicle=car,
                dealer=car.selling_dealer or rng.choice(dealer_list),
                visited_on=day,
                repair_order=f"RO-H{n:04d}-{k}",
                kind=Visit.Kind.MAINTENANCE if k == 0 else rng.choice(list(Visit.Kind.values)),
                origin=origin,
            )


def _workshop_file(dealers: dict[str, Dealer], cars: list[Vehicle], now: datetime) -> None:
    """A dealer's DMS export of recent workshop visits, checked (dry run) and waiting to be confirmed."""
    dealer = next(iter(dealers.values()))
    lines = ["車身號碼,進廠日,里程,工單號碼,類別"]
    for n, car in enumerate(cars[:8]):
        day = timezone.localdate(now) - timedelta(days=3 + n)
        roc = f"{day.year - 1911}/{day.month:02d}/{day.day:02d}"  # Taiwanese systems write ROC dates
        lines.append(f"{car.vin},{roc},{car.last_mileage_km + 500},RO-DEMO-{n:04d},保養")
    stream = io.BytesIO("\n".join(lines).encode("utf-8-sig"))
    import_batch_submit(
        kind="visits", stream=stream, file_name="dms-visits-demo.csv", dealer_code=dealer.code, check_now=True
    )


def _bundles(definitions, owners, cars, now) -> None:
    ShopNotice.objects.update_or_create(
        pk=1,
        defaults=dict(
            issuer_name="星輝汽車股份有限公司（示範）",
            issuer_address="臺北市內湖區瑞光路 100 號",
            issuer_tax_id="24536806",
            guarantee="本公司發行之商品（服務）禮券，已存入○○銀行信託專戶，專款專用；信託期間自發售日起一年。",
            no_expiry="本禮券無使用期限，不得兌換現金；未使用之次數可依規定申請退費。",
        ),
    )
    wash_pack = Bundle.objects.create(code="wash-5", name="精緻洗車五次套票", price_twd=1500)
    BundleItem.objects.create(bundle=wash_pack, definition=definitions["wash-pack-5"])
    care = Bundle.objects.create(code="coating-detailing", name="鍍膜＋美容組合", price_twd=9800)
    BundleItem.objects.create(bundle=care, definition=definitions["coating-care"])
    BundleItem.objects.create(bundle=care, definition=definitions["detailing-order"])
    for i in range(0, 60):
        car = cars[i * 5 % len(cars)]
        owner = car.ownerships.get().member
        bundle = wash_pack if i % 3 else care
        order = Order.objects.create(
            member=owner,
            vehicle=car,
            bundle=bundle,
            number=f"DEMO{i:06d}",
            channel=Order.Channel.ONLINE if i % 4 else Order.Channel.COUNTER,
            unit_price_twd=bundle.price_twd,
            amount_twd=bundle.price_twd,
            created_at=now - timedelta(days=200 - i),
            paid_at=now - timedelta(days=200 - i),
            external_ref=f"DEMO-{i:04d}",
        )
        _demo_payment(order, online=bool(i % 4))
        order_issue(order=order, actor=DEMO, now=now - timedelta(days=200 - i))
    # The latest order's owner has asked for a refund: Finance's queue has one to decide.
    order_refund_request(order=order, member=order.member, reason="車已出售", now=now)


def _demo_payment(order: Order, *, online: bool) -> None:
    """What a paid order carries: its payment and, online, the gateway's notification as received."""
    method = Payment.Method.CREDIT if online else Payment.Method.CASH
    Payment.objects.create(
        order=order,
        provider="ecpay" if online else f"manual:{method}",
        trade_no=f"DEMO{order.pk:016d}",
        method=method,
        amount_twd=order.amount_twd,
        paid_at=order.paid_at,
    )
    if online:
        PaymentNotification.objects.create(
            received_at=order.paid_at,
            source=PaymentNotification.Source.NOTIFY,
            merchant_trade_no=order.number,
            order=order,
            payload={"MerchantTradeNo": order.number, "RtnCode": "1", "TradeAmt": str(order.amount_twd)},
            outcome=PaymentNotification.Outcome.APPLIED,
        )


def _vouchers_and_history(rng, definitions, dealers, owners, cars, now, today) -> int:
    """Issue about 2,000 vouchers across every definition and state, then a year of counter work."""
    src = Voucher.Source
    issued: list[Voucher] = []

    def issue(code, *, member=None, vehicle=None, days_ago=0, source=src.DEMO):
        moment = now - timedelta(days=days_ago, minutes=rng.randint(0, 600))
        return voucher_issue(
            definition=definitions[code],
            source=source,
            member=member,
            vehicle=vehicle,
            now=moment,
            actor=DEMO,
        )

    for car in cars:
        owner = car.ownerships.get().member
        if (today - car.delivery_date).days < 400:
            issued += issue(
                "new-car-wash", member=owner, vehicle=car, days_ago=(today - car.delivery_date).days
            )
        if car.pk % 2 == 0:
            issued += issue("maintenance-12", vehicle=car, days_ago=rng.randint(10, 300))
        issued += issue("winback-wash", vehicle=car, days_ago=rng.randint(0, 120)) if car.pk % 3 == 0 else []
        if car.model.code in ("X3", "X5"):
            issued += issue("suv-taipei-wash", vehicle=car, days_ago=rng.randint(0, 90), source=src.API)
        if car.pk % 4 == 1:
            issued += issue("tyre-check", vehicle=car, days_ago=rng.randint(0, 100))
    for owner in owners:
        if owner.tier >= Tier.SILVER and owner.pk % 2 == 0:
            issued += issue("interior-spring", member=owner, days_ago=rng.randint(0, 25))
        if owner.birthday and owner.pk % 5 == 0:
            issued += issue("birthday-wash", member=owner, days_ago=rng.randint(0, 200))
        if owner.pk % 6 == 0:
            issued += issue("vip-detailing", member=owner, days_ago=rng.randint(0, 60))
        if owner.pk % 9 == 0:
            issued += issue("referral-gift", member=owner, days_ago=rng.randint(0, 150))

    # States: activate some holder-activated ones, hold, refund, void; expiry by the sweep.
    for voucher in issued:
        if voucher.status == Voucher.Status.INACTIVE and voucher.pk % 3 == 0:
            moment = max(voucher.issued_at, now - timedelta(days=5))
            if voucher.valid_until is None or moment <= voucher.valid_until:
                voucher_activate(voucher=voucher, via="operations", actor=DEMO, now=moment)
    redemptions = _history(rng, issued, dealers, cars, now)
    refundable = Voucher.objects.filter(
        definition__refundable=True, status=Voucher.Status.ACTIVE, uses_left=F("uses_total")
    ).order_by("pk")
    for i, voucher in enumerate(refundable[:24]):
        member = voucher.member or voucher.vehicle.ownerships.current().get().member
        refund = voucher_refund_request(
            voucher=voucher, member=member, reason="不需要了", now=now - timedelta(days=3)
        )
        if i % 2:
            refund_approve(refund=refund, actor=None, reason="同意退款", now=now - timedelta(days=1))
    for voucher in issued[::83]:
        voucher.refresh_from_db()
        if voucher.status in (Voucher.Status.ACTIVE, Voucher.Status.INACTIVE):
            voucher_void(voucher=voucher, reason="重複發放", actor=DEMO, now=now - timedelta(days=2))
    vouchers_expire_due(now=now)
    return redemptions


def _history(rng, issued, dealers, cars, now) -> int:
    from redemption.services import redemption_redeem, redemption_start

    dealer_list = list(dealers.values())
    advisors = {d.pk: d.staff.filter(role=DealerStaff.Role.ADVISOR).first().user for d in dealer_list}
    count = 0
    for voucher in issued:
        if voucher.status != Voucher.Status.ACTIVE or voucher.pk % 5 in (0, 1):
            continue
        vehicle = voucher.vehicle or (
            voucher.member and voucher.member.ownerships.current().select_related("vehicle").first()
        )
        vehicle = getattr(vehicle, "vehicle", vehicle)
        if vehicle is None:
            continue
        uses = rng.randint(1, voucher.uses_total)
        for _use in range(uses):
            start = max(voucher.valid_from or voucher.issued_at, voucher.issued_at)
            latest = min(now, voucher.valid_until or now)
            if latest <= start:
                break
            moment = start + (latest - start) * rng.random()
            dealer = rng.choice(dealer_list)
            try:
                redemption_redeem(
                    voucher=voucher,
                    vehicle=vehicle,
                    dealer=dealer,
                    advisor=advisors[dealer.pk],
                    idempotency_key=f"demo:{uuid.UUID(int=rng.getrandbits(128))}",
                    mileage_km=vehicle.last_mileage_km + rng.randint(100, 3000),
                    work_order=f"WO{rng.randint(100000, 999999)}",
                    now=moment,
                )
                count += 1
            except VoucherNotUsable:
                break
    # A few services in progress at the counter right now.
    holds = 0
    for voucher in issued[5::7]:
        voucher.refresh_from_db()
        if holds >= 8 or voucher.status != Voucher.Status.ACTIVE or not voucher.vehicle_id:
            continue
        dealer = dealer_list[holds % len(dealer_list)]
        try:
            redemption_start(
                voucher=voucher,
                vehicle=voucher.vehicle,
                dealer=dealer,
                advisor=advisors[dealer.pk],
                idempotency_key=f"demo-hold:{voucher.pk}",
                now=now - timedelta(minutes=rng.randint(5, 90)),
            )
        except VoucherNotUsable:
            continue
        holds += 1
    return count
