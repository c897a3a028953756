import pytest

from shop.payments.ecpay import gateway
from shop.payments.fake import fake_checkout_receive, fake_pay, notification_fields
from shop.selectors import shop_product
from shop.services import order_create
from tests.factories import MemberFactory, OwnedVehicleFactory, pack
from vouchers.models import Bundle


@pytest.fixture
def ecpay(settings):
    """ECPay's public test merchant, in fake mode (the stand-in answers queries)."""
    settings.ECPAY_MODE = "fake"
    settings.ECPAY_MERCHANT_ID = "3002607"
    settings.ECPAY_HASH_KEY = "pwFHCqoQZGmho4w6"
    settings.ECPAY_HASH_IV = "EkRm7iFT261dpevs"
    return settings


@pytest.fixture
def buyer(db):
    member = MemberFactory()
    return member, OwnedVehicleFactory(owner=member)


def place_order(member, vehicle, *, product=None, quantity=1, **kwargs):
    if product is None:
        bundle = Bundle.objects.filter(code="wash-pack").first() or pack(code="wash-pack")
        product = shop_product("pack", bundle.code)
    return order_create(member=member, vehicle=vehicle, product=product, quantity=quantity, **kwargs)


def paid_notification(order, *, amount=None) -> dict[str, str]:
    """What ECPay posts once the owner has paid `order` (through the stand-in's own trade record)."""
    checkout = gateway().checkout(
        merchant_trade_no=order.number,
        amount=order.amount_twd if amount is None else amount,
        item_name="item",
        description="test",
        return_url="http://testserver/payments/ecpay/notify/",
        client_back_url="http://testserver/portal/",
        now=order.created_at,
        checkout_url="/payments/fake-ecpay/checkout/",
    )
    trade = fake_pay(fake_checkout_receive(checkout.fields))
    return notification_fields(trade)


@pytest.fixture
def einvoice(settings):
    """ECPay's public e-invoice test merchant, answered by the local stand-in."""
    settings.ECPAY_INVOICE_MODE = "fake"
    settings.ECPAY_INVOICE_MERCHANT_ID = "2000132"
    settings.ECPAY_INVOICE_HASH_KEY = "ejCk326UnaZWKisg"
    settings.ECPAY_INVOICE_HASH_IV = "q9jcZX8Ib9LM8wYk"
    settings.SHOP_INVOICE_MAX_ATTEMPTS = 3
    return settings
