"""The e-invoice stand-in is refused with DEBUG off; an unknown mode is an error."""

from shop.checks import ecpay_invoice_mode


def test_the_invoice_stand_in_is_refused_with_debug_off(settings):
    settings.DEBUG, settings.ECPAY_INVOICE_MODE = False, "fake"
    assert [m.id for m in ecpay_invoice_mode()] == ["shop.E004"]


def test_the_invoice_stand_in_is_fine_in_development_and_real_modes_pass(settings):
    settings.DEBUG, settings.ECPAY_INVOICE_MODE = True, "fake"
    assert ecpay_invoice_mode() == []
    settings.DEBUG, settings.ECPAY_INVOICE_MODE = False, "production"
    assert ecpay_invoice_mode() == []


def test_an_unknown_invoice_mode_is_an_error(settings):
    settings.ECPAY_INVOICE_MODE = "paper"
    assert [m.id for m in ecpay_invoice_mode()] == ["shop.E003"]
