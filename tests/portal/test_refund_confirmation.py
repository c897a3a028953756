"""Asking for a refund takes two steps: a page shows what will be locked and the amount asked back
(the refund service's own quote), and only the confirming POST locks the voucher."""

import pytest
from django.test import Client
from django.urls import reverse

from redemption.services import redemption_redeem
from tests.factories import (
    DealerFactory,
    DefinitionFactory,
    MemberFactory,
    OwnedVehicleFactory,
    issue_voucher,
)
from vouchers.models import RefundRequest, Voucher

from .conftest import TOKEN, page_messages, sign_in

pytestmark = pytest.mark.django_db


def refundable(car, **kwargs):
    definition = DefinitionFactory(refundable=True, face_value_twd=1500, uses_per_voucher=3, **kwargs)
    return issue_voucher(definition, vehicle=car)


def refund_url(voucher) -> str:
    return reverse("portal:voucher_refund", args=[voucher.pk])


def state(voucher) -> tuple:
    voucher.refresh_from_db()
    return voucher.status, voucher.ledger.count(), RefundRequest.objects.count()


def test_the_voucher_page_links_to_the_confirmation_instead_of_requesting(owner, car, owner_client):
    voucher = refundable(car)
    html = owner_client.get(reverse("portal:voucher", args=[voucher.pk])).content.decode()
    assert f'href="{refund_url(voucher)}" data-test="request-refund"' in html
    assert f'action="{refund_url(voucher)}"' not in html


def test_the_confirmation_shows_what_is_locked_and_the_amount_and_changes_nothing(owner, car, owner_client):
    voucher = refundable(car)
    before = state(voucher)

    response = owner_client.get(refund_url(voucher))

    assert response.status_code == 200
    html = response.content.decode()
    assert voucher.code_display in html
    assert "3 / 3" in html
    assert "NT$1,500" in html
    assert response.context["quote"].amount_twd == 1500
    assert 'name="confirm" value="yes"' in html
    assert state(voucher) == before == (Voucher.Status.ACTIVE, before[1], 0)


def test_confirming_locks_the_voucher_and_asks_for_the_quoted_amount(owner, car, owner_client):
    voucher = refundable(car)

    response = owner_client.post(
        refund_url(voucher),
        {"idempotency_key": TOKEN, "confirm": "yes", "reason": "Sold the car"},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == reverse("portal:voucher", args=[voucher.pk])
    refund = RefundRequest.objects.get()
    assert (refund.amount_twd, refund.reason, refund.member) == (1500, "Sold the car", owner)
    voucher.refresh_from_db()
    assert voucher.status == Voucher.Status.LOCKED


def test_a_double_confirmation_locks_once(owner, car, owner_client):
    voucher = refundable(car)
    for _ in range(2):
        owner_client.post(refund_url(voucher), {"idempotency_key": TOKEN, "confirm": "yes"})
    assert RefundRequest.objects.count() == 1
    assert voucher.ledger.filter(kind="refund_requested").count() == 1


def test_a_post_without_the_confirmation_only_shows_the_confirmation(owner, car, owner_client):
    voucher = refundable(car)
    before = state(voucher)

    response = owner_client.post(refund_url(voucher), {"idempotency_key": TOKEN})

    assert response.status_code == 302
    assert response.url == refund_url(voucher)
    assert state(voucher) == before


@pytest.mark.parametrize("method", ["get", "post"])
def test_another_owners_voucher_is_not_found(owner_client, method):
    stranger_car = OwnedVehicleFactory(owner=MemberFactory())
    voucher = refundable(stranger_car)
    before = state(voucher)

    response = getattr(owner_client, method)(
        refund_url(voucher), {"idempotency_key": TOKEN, "confirm": "yes"}
    )

    assert response.status_code == 404
    assert state(voucher) == before


def test_a_voucher_that_cannot_be_refunded_has_no_confirmation(owner, car, owner_client):
    voucher = refundable(car)
    redemption_redeem(voucher=voucher, vehicle=car, dealer=DealerFactory(), idempotency_key="u")
    before = state(voucher)

    response = owner_client.get(refund_url(voucher), follow=True)

    assert response.redirect_chain[-1][0] == reverse("portal:voucher", args=[voucher.pk])
    assert "This voucher cannot be refunded." in page_messages(response)
    assert state(voucher) == before


def test_the_confirmation_reads_in_zh_hant(owner, car):
    voucher = refundable(car)
    client = sign_in(Client(headers={"accept-language": "zh-hant"}), owner)

    html = client.get(refund_url(voucher)).content.decode()

    assert "確認後，此票券將會鎖定" in html and "退款金額" in html and "鎖定票券並申請退款" in html
