"""The shared voucher card: readable text on any colour, lapsed vouchers shown as expired, and the
validity a definition promises before any voucher exists."""

from datetime import date, timedelta

import pytest
from django.utils import timezone, translation

from tests.factories import DefinitionFactory, OwnedVehicleFactory, issue_voucher
from vouchers.models import VoucherDefinition
from vouchers.presentation import (
    contrast_ratio,
    definition_validity_text,
    readable_ink,
    voucher_card,
)

Policy = VoucherDefinition.ValidityPolicy


@pytest.mark.parametrize(
    "colour", ["#1F3A5F", "#E65100", "#F4D35E", "#777777", "#FFFFFF", "#000000", "#2E7D32"]
)
def test_card_text_always_reaches_aa_contrast(colour):
    assert contrast_ratio(colour, readable_ink(colour)) >= 4.5


def test_dark_colours_get_white_text_and_light_colours_black():
    assert readable_ink("#1F3A5F") == "#ffffff"
    assert readable_ink("#F4D35E") == "#000000"


def test_contrast_ratio_matches_wcag_reference_values():
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21)
    assert contrast_ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)


@pytest.mark.django_db
def test_a_voucher_past_its_end_shows_expired_before_the_nightly_sweep():
    car = OwnedVehicleFactory()
    voucher = issue_voucher(DefinitionFactory(), vehicle=car, now=timezone.now() - timedelta(days=40))
    assert voucher.status == "active"
    card = voucher_card(voucher)
    assert card.right_badge[0] == "expired" and card.muted and card.left_badge is None


@pytest.mark.django_db
def test_a_valid_voucher_has_no_state_badge_and_its_ink():
    car = OwnedVehicleFactory()
    voucher = issue_voucher(DefinitionFactory(card_colour="#F4D35E"), vehicle=car)
    card = voucher_card(voucher)
    assert card.right_badge is None and not card.muted and card.ink == "#000000"


@pytest.mark.parametrize(
    ("fields", "text"),
    [
        (
            {
                "validity_policy": Policy.FIXED,
                "valid_from_date": date(2026, 1, 1),
                "valid_until_date": date(2026, 3, 31),
            },
            "2026-01-01 – 2026-03-31",
        ),
        ({"validity_policy": Policy.FIXED, "valid_until_date": date(2026, 3, 31)}, "Valid until 2026-03-31"),
        ({"validity_policy": Policy.DAYS_FROM_ISSUE, "validity_days": 45}, "Valid for 45 days after issue"),
        (
            {"validity_policy": Policy.DAYS_FROM_ACTIVATION, "validity_days": 60},
            "Valid for 60 days after activation",
        ),
        (
            {
                "validity_policy": Policy.DELIVERY_WINDOW,
                "delivery_offset_months": 12,
                "delivery_window_months": 12,
            },
            "Valid for 12 months, from 12 months after the vehicle's delivery",
        ),
        ({"validity_policy": Policy.NO_EXPIRY}, "No expiry"),
    ],
)
def test_definition_validity_text(fields, text):
    with translation.override("en"):
        assert definition_validity_text(VoucherDefinition(**fields)) == text


@pytest.mark.django_db
def test_a_card_maker_makes_the_same_cards_as_one_card_at_a_time():
    from dataclasses import asdict

    from tests.factories import DealerFactory
    from vouchers.presentation import CardMaker
    from vouchers.selectors import vouchers_with_definitions

    car = OwnedVehicleFactory()
    now = timezone.now()
    restricted = DefinitionFactory(card_colour="#f0f0f0", allowed_cities="台北市")
    restricted.allowed_dealers.add(DealerFactory(name="內湖廠"))
    restricted.allowed_models.add(car.model)
    for definition, days_ago in ((restricted, 0), (DefinitionFactory(), 3), (restricted, 40)):
        issue_voucher(definition, vehicle=car, now=now - timedelta(days=days_ago))
    vouchers = vouchers_with_definitions(car.vouchers.order_by("pk"))
    with translation.override("zh-hant"):
        maker = CardMaker(now=now)
        together = [asdict(maker.card(v)) for v in vouchers]
        one_by_one = [asdict(voucher_card(v, now=now)) for v in vouchers]
    assert together == one_by_one
    assert together[0]["tags"] and together[0]["ink"] != together[1]["ink"]
    assert together[2]["right_badge"] and together[0]["validity"] != together[2]["validity"]


@pytest.mark.django_db
def test_equal_vouchers_share_one_card_and_any_difference_gets_its_own():
    from dataclasses import asdict

    from vouchers.presentation import CardMaker
    from vouchers.selectors import vouchers_with_definitions

    car = OwnedVehicleFactory()
    now = timezone.now()
    pack = DefinitionFactory(uses_per_voucher=5)
    for _ in range(3):
        issue_voucher(pack, vehicle=car, now=now - timedelta(days=20))
    issue_voucher(pack, vehicle=car, now=now)  # new: its own badge
    first, second, used, fresh = vouchers_with_definitions(car.vouchers.order_by("pk"))
    used.uses_left = 4
    maker = CardMaker(now=now)
    cards = [maker.card(v) for v in (first, second, used, fresh)]
    assert cards[0] is cards[1]
    assert cards[2] is not cards[0] and cards[2].uses == "4 / 5"
    assert cards[3] is not cards[0] and cards[3].left_badge[0] == "new" != cards[0].left_badge[0]
    assert [asdict(c) for c in cards] == [
        asdict(voucher_card(v, now=now)) for v in (first, second, used, fresh)
    ]
