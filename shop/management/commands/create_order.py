"""A phone order: `create_order --phone 0912-345-678 --vin VIN --item CODE [--quantity N]`.

Prints the order number (ECPay's MerchantTradeNo); the order then waits for payment like any other."""

from django.core.management.base import BaseCommand, CommandError

from config.errors import DomainError
from members.actors import Actor
from members.models import Member
from members.phones import phone_normalise
from shop.selectors import shop_product
from shop.services import order_create
from vehicles.models import Vehicle
from vehicles.selectors import vehicles_search
from vouchers.models import Order


class Command(BaseCommand):
    help = "Place a phone order for an owner's car and print its order number."

    def add_arguments(self, parser):
        parser.add_argument("--phone", required=True, help="the owner's mobile, e.g. 0912-345-678")
        parser.add_argument("--vin", required=True, help="the car's VIN (or its plate)")
        parser.add_argument("--item", required=True, help="the code of a pack or of a paid voucher")
        parser.add_argument("--quantity", type=int, default=1)

    def handle(self, *args, phone, vin, item, quantity, **options):
        try:
            member = Member.objects.get(phone=phone_normalise(phone))
        except (DomainError, Member.DoesNotExist) as exc:
            raise CommandError(f"No member with the mobile {phone!r}.") from exc
        vehicle: Vehicle | None = vehicles_search(vin, limit=1).first()
        if vehicle is None:
            raise CommandError(f"No vehicle with the VIN or plate {vin!r}.")
        product = shop_product("pack", item, counter=True) or shop_product("voucher", item, counter=True)
        if product is None:
            raise CommandError(f"Nothing on sale with the code {item!r}.")
        try:
            order = order_create(
                member=member,
                vehicle=vehicle,
                product=product,
                quantity=quantity,
                channel=Order.Channel.PHONE,
                actor=Actor.system("create_order"),
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(order.number)
