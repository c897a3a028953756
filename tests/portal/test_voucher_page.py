"""A voucher's page: full rules, history of uses, and the QR code the counter scans."""

import re
from datetime import timedelta

import pytest
import segno
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from members.actors import Actor
from redemption.services import redemption_redeem
from tests.factories import DealerFactory, DefinitionFactory, VehicleModelFactory, issue_voucher
from tests.factories.voucher_states import STATE_REASONS, held_reason, vouchers_in_every_state
from tests.translation_support import zh_hant_entries
from vouchers.codes import code_parse, code_qr_payload
from vouchers.models import VoucherDefinition
from vouchers.services import voucher_void

from .conftest import sign_in

pytestmark = pytest.mark.django_db
Holder = VoucherDefinition.HolderType


def _qr_path(payload: str) -> str:
    svg = segno.make(payload, error="m", micro=False).svg_inline(scale=1, border=4, omitsize=True)
    return re.search(r' d="([^"]+)"', svg).group(1)


def _shown_code(html: str) -> str:
    shown = re.search(r'data-test="voucher-code"[^>]*>(.*?)</p>', html, re.S).group(1)
    return re.sub(r"<[^>]+>", "", shown)


def test_the_qr_code_carries_the_voucher_code_for_the_counter(owner, car, owner_client):
    voucher = issue_voucher(DefinitionFactory(), vehicle=car)

    html = owner_client.get(reverse("portal:voucher", args=[voucher.pk])).content.decode()

    svg = re.search(r'<div class="qr" role="img" aria-label="[^"]+"><svg[^>]*>.*?</svg></div>', html, re.S)
    assert svg, "no inline QR SVG"
    assert f'd="{_qr_path(code_qr_payload(voucher.code))}"' in svg.group(0)
    assert code_parse(code_qr_payload(voucher.code)) == voucher.code  # what the counter reads back


def test_the_code_is_shown_grouped_to_read_aloud(owner, car, owner_client):
    voucher = issue_voucher(DefinitionFactory(), vehicle=car)
    html = owner_client.get(reverse("portal:voucher", args=[voucher.pk])).content.decode()
    groups = voucher.code_display.split("-")
    assert len(groups) == 4
    assert _shown_code(html) == voucher.code_display
    assert f'aria-label="{", ".join(" ".join(g) for g in groups)}"' in html


def test_the_page_gives_the_rules_in_full(owner, car, owner_client):
    model = VehicleModelFactory(name="SUV X5")
    dealer = DealerFactory(name="台北內湖服務廠")
    definition = DefinitionFactory(
        name="Premium wash pack",
        uses_per_voucher=6,
        face_value_twd=1500,
        refundable=True,
        usage_rules="One wash per visit.",
        notice="Bring the car clean of personal items.",
    )
    definition.allowed_models.set([model, car.model])
    definition.allowed_dealers.set([dealer])
    voucher = issue_voucher(definition, vehicle=car)

    html = owner_client.get(reverse("portal:voucher", args=[voucher.pk])).content.decode()

    for text in (
        "Premium wash pack",
        "6 / 6",
        "One wash per visit.",
        "Bring the car clean of personal items.",
        "台北內湖服務廠",
        "SUV X5",
        "NT$1,500",
        "Refundable while unused",
        "stays with the car",
        voucher.valid_until.astimezone(timezone.get_default_timezone()).strftime("%Y-%m-%d"),
    ):
        assert text in html, text


def test_lists_of_dealers_models_and_cities_use_the_languages_separator(owner, car, owner_client):
    """English lists with ", "; zh-Hant's "、" comes from the catalogue, not from the template."""
    definition = DefinitionFactory(allowed_cities="台北市,新北市")
    definition.allowed_models.set([VehicleModelFactory(name="SUV X5"), VehicleModelFactory(name="SUV X3")])
    definition.allowed_dealers.set([DealerFactory(name="Neihu"), DealerFactory(name="Zuoying")])
    voucher = issue_voucher(definition, vehicle=car)
    url = reverse("portal:voucher", args=[voucher.pk])

    html = owner_client.get(url).content.decode()
    assert "、" not in html
    for listed in ("Neihu, Zuoying", "SUV X3, SUV X5", "台北市, 新北市"):
        assert listed in html, listed

    zh = sign_in(Client(headers={"accept-language": "zh-Hant"}), owner)
    with zh_hant_entries({"list separator\x04, ": "、"}):
        html = zh.get(url).content.decode()
    for listed in ("Neihu、Zuoying", "SUV X3、SUV X5", "台北市、新北市"):
        assert listed in html, listed


def test_history_lists_each_use_with_date_dealer_and_mileage(owner, car, owner_client):
    voucher = issue_voucher(
        DefinitionFactory(uses_per_voucher=3), vehicle=car, now=timezone.now() - timedelta(days=9)
    )
    dealer = DealerFactory(name="高雄左營服務廠")
    used_at = timezone.now() - timedelta(days=3)
    redemption_redeem(
        voucher=voucher, vehicle=car, dealer=dealer, idempotency_key="u1", mileage_km=23456, now=used_at
    )

    response = owner_client.get(reverse("portal:voucher", args=[voucher.pk]))
    html = response.content.decode()

    [use] = response.context["redemptions"]
    assert "高雄左營服務廠" in html and "23,456 km" in html
    assert timezone.localtime(used_at).strftime("%Y-%m-%d %H:%M") in html
    assert use.receipt_number in html
    assert [e.kind for e in response.context["ledger"]] == ["redeemed", "issued"]
    assert "2 / 3" in html


@pytest.mark.parametrize("state", ["used", "voided", "lapsed", "inactive"])
def test_no_qr_code_when_the_counter_could_not_use_the_voucher(owner, car, owner_client, state):
    now = timezone.now()
    if state == "inactive":
        voucher = issue_voucher(
            DefinitionFactory(activation_mode=VoucherDefinition.ActivationMode.HOLDER), vehicle=car
        )
    elif state == "lapsed":
        voucher = issue_voucher(DefinitionFactory(), vehicle=car, now=now - timedelta(days=60))
    else:
        voucher = issue_voucher(DefinitionFactory(), vehicle=car)
    if state == "used":
        redemption_redeem(voucher=voucher, vehicle=car, dealer=DealerFactory(), idempotency_key="u")
    if state == "voided":
        voucher_void(voucher=voucher, reason="duplicate", actor=Actor.system("test"))

    response = owner_client.get(reverse("portal:voucher", args=[voucher.pk]))

    assert response.context["qr"] is None
    assert "<svg" not in response.content.decode()
    assert _shown_code(response.content.decode()) == voucher.code_display  # still there for reference


def test_a_member_voucher_links_back_to_the_member_wallet(owner, owner_client):
    voucher = issue_voucher(DefinitionFactory(holder_type=Holder.MEMBER), member=owner)
    html = owner_client.get(reverse("portal:voucher", args=[voucher.pk])).content.decode()
    assert f'href="{reverse("portal:wallet")}"' in html
    assert "usable with any of your cars" in html


def _unusable_reasons(html: str) -> str:
    match = re.search(r'data-test="unusable-reasons">(.*?)</p>', html, re.S)
    return match.group(1).strip() if match else ""


def test_every_state_gives_its_own_reason_the_same_as_the_counter(owner, car, owner_client):
    holding = DealerFactory(name="高雄左營服務廠")
    cases = vouchers_in_every_state(vehicle=car, dealer=DealerFactory(), holding_dealer=holding, member=owner)
    expected = {**STATE_REASONS, "held": held_reason(holding)}

    shown = {
        state: _unusable_reasons(owner_client.get(reverse("portal:voucher", args=[v.pk])).content.decode())
        for state, v in cases.items()
    }

    for state, reason in expected.items():
        assert shown[state].startswith(f"Cannot be used now: {reason}"), f"{state}: {shown[state]!r}"
    assert len(set(shown.values())) == len(shown)


def test_a_usable_voucher_gives_no_reason(owner, car, owner_client):
    voucher = issue_voucher(DefinitionFactory(), vehicle=car)
    html = owner_client.get(reverse("portal:voucher", args=[voucher.pk])).content.decode()
    assert 'data-test="unusable-reasons"' not in html


def test_a_locked_voucher_reads_in_taiwan_wording(owner, car):
    cases = vouchers_in_every_state(
        vehicle=car, dealer=DealerFactory(), holding_dealer=DealerFactory(), member=owner
    )
    client = sign_in(Client(headers={"accept-language": "zh-hant"}), owner)

    def reasons(state):
        html = client.get(reverse("portal:voucher", args=[cases[state].pk])).content.decode()
        return _unusable_reasons(html)

    assert reasons("locked") == "目前無法使用：已鎖定：退款申請或審查處理中"
    assert reasons("inactive") == "目前無法使用：尚未啟用"
