"""The ECPay stand-in is refused with DEBUG off; a real mode without keys is a deployment warning."""

from shop.checks import ecpay_mode


def test_the_stand_in_is_refused_with_debug_off(settings):
    settings.DEBUG, settings.ECPAY_MODE = False, "fake"
    assert [m.id for m in ecpay_mode()] == ["shop.E002"]


def test_the_stand_in_is_fine_in_development(settings):
    settings.DEBUG, settings.ECPAY_MODE = True, "fake"
    assert ecpay_mode() == []


def test_an_unknown_mode_is_an_error(settings):
    settings.ECPAY_MODE = "sandbox"
    assert [m.id for m in ecpay_mode()] == ["shop.E001"]


def test_production_without_keys_warns_and_with_keys_passes(settings):
    settings.DEBUG, settings.ECPAY_MODE, settings.ECPAY_MERCHANT_ID = False, "production", ""
    assert [m.id for m in ecpay_mode()] == ["shop.W001"]
    settings.ECPAY_MERCHANT_ID, settings.ECPAY_HASH_KEY, settings.ECPAY_HASH_IV = "3002607", "k", "v"
    assert ecpay_mode() == []
