"""What the shop offers and what an owner has bought: reads shared by the portal, counter and admin."""

from dataclasses import dataclass, field

from django.db.models import Prefetch, QuerySet

from members.models import Member
from vehicles.models import Vehicle
from vouchers.models import Bundle, BundleItem, Order, VoucherDefinition

from .models import Invoice

Definition = VoucherDefinition


@dataclass(frozen=True)
class Product:
    """One thing on sale: a pack, or a paid voucher sold on its own at its face value."""

    kind: str  # "pack" | "voucher"
    code: str
    name: str
    price_twd: int
    bundle: Bundle | None = None
    definition: VoucherDefinition | None = None
    contents: list[tuple[VoucherDefinition, int]] = field(default_factory=list)

    @property
    def definitions(self) -> list[VoucherDefinition]:
        return [definition for definition, _ in self.contents]

    def fits(self, vehicle: Vehicle) -> bool:
        """Whether every voucher in it may be used on `vehicle`'s model (no restriction fits all)."""
        for definition in self.definitions:
            models = definition.allowed_models.all()
            if models and vehicle.model_id not in {m.pk for m in models}:
                return False
        return True


def _definitions_prefetch() -> list:
    return ["allowed_models", "allowed_dealers"]


def _packs(*, counter: bool) -> QuerySet[Bundle]:
    items = BundleItem.objects.select_related("definition").prefetch_related(
        *(f"definition__{name}" for name in _definitions_prefetch())
    )
    packs = Bundle.objects.filter(is_active=True).prefetch_related(
        Prefetch("items", queryset=items.order_by("pk"))
    )
    return packs.filter(sold_at_counter=True) if counter else packs.filter(sold_online=True)


def _paid_vouchers() -> QuerySet[VoucherDefinition]:
    return Definition.objects.filter(
        kind=Definition.Kind.PAID, channel_shop=True, status=Definition.Status.PUBLISHED
    ).prefetch_related(*_definitions_prefetch())


def shop_catalogue(*, counter: bool = False) -> list[Product]:
    """Everything on sale online (or, with `counter`, at the counter): packs first, then vouchers."""
    products = [
        Product(
            kind="pack",
            code=pack.code,
            name=pack.name,
            price_twd=pack.price_twd,
            bundle=pack,
            contents=[(item.definition, item.quantity) for item in pack.items.all()],
        )
        for pack in _packs(counter=counter).order_by("price_twd", "code")
    ]
    products += [
        Product(
            kind="voucher",
            code=definition.code,
            name=definition.name,
            price_twd=definition.face_value_twd,
            definition=definition,
            contents=[(definition, 1)],
        )
        for definition in _paid_vouchers().order_by("face_value_twd", "code")
    ]
    return products


def shop_product(kind: str, code: str, *, counter: bool = False) -> Product | None:
    return next((p for p in shop_catalogue(counter=counter) if p.kind == kind and p.code == code), None)


def member_orders(member: Member) -> QuerySet[Order]:
    return (
        Order.objects.filter(member=member)
        .select_related("bundle", "definition", "vehicle", "vehicle__model")
        .order_by("-created_at", "-pk")
    )


def member_order(member: Member, number: str) -> Order | None:
    return member_orders(member).filter(number=number).first()


def order_invoice(order: Order) -> Invoice | None:
    """The order's e-invoice, or None (orders placed before invoices were collected)."""
    return Invoice.objects.filter(order=order).first()
