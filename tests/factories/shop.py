from vouchers.models import Bundle, BundleItem, VoucherDefinition

from .vouchers import DefinitionFactory

Definition = VoucherDefinition


def paid_definition(**kwargs) -> VoucherDefinition:
    """A paid, no-expiry wash voucher sold on its own in the shop at NT$500."""
    values = dict(
        kind=Definition.Kind.PAID,
        validity_policy=Definition.ValidityPolicy.NO_EXPIRY,
        validity_days=None,
        face_value_twd=500,
        channel_shop=True,
        channel_bundle=True,
    )
    return DefinitionFactory(**{**values, **kwargs})


def pack(*, code: str = "wash-pack", price: int = 2000, items=None, **kwargs) -> Bundle:
    """A pack on sale online and at the counter; `items` is [(definition, quantity)], by default 5 washes."""
    bundle = Bundle.objects.create(
        code=code, name=kwargs.pop("name", "洗車五次套票"), price_twd=price, **kwargs
    )
    for definition, quantity in items or [(paid_definition(face_value_twd=450), 5)]:
        BundleItem.objects.create(bundle=bundle, definition=definition, quantity=quantity)
    return bundle
