"""Reversing a redemption at the counter: permission, window, reason; the ledger shows both."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from redemption.models import Redemption
from redemption.presentation import REVERSE_ACTION, redemption_target
from redemption.services import redemption_redeem, redemption_start
from redemption.tokens import form_token_issue
from tests.factories import DefinitionFactory, issue_voucher
from vouchers.models import LedgerEntry

from .conftest import form_token, grant_reversal, messages_of, signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def completed(vehicle, voucher, dealer, advisor):
    return redemption_redeem(
        voucher=voucher, vehicle=vehicle, dealer=dealer, advisor=advisor, idempotency_key="r1", mileage_km=100
    )


@pytest.fixture
def manager(advisor):
    return signed_in(grant_reversal(advisor))


def reverse_url(redemption):
    return reverse("counter:reverse", args=[redemption.pk])


def receipt_url(redemption):
    return reverse("counter:receipt", args=[redemption.pk])


def post_reversal(client, redemption, reason="Wrong car selected"):
    token = form_token(client.get(reverse_url(redemption)).content.decode(), reverse_url(redemption))
    return client.post(reverse_url(redemption), {"token": token, "reason": reason})


def test_without_the_permission_reversal_is_refused_and_not_offered(counter, completed, voucher):
    assert "reverse-link" not in counter.get(receipt_url(completed)).content.decode()
    response = counter.get(reverse_url(completed))
    assert response.status_code == 403
    assert "needs the reversal permission" in response.content.decode()
    assert counter.post(reverse_url(completed), {"reason": "x"}).status_code == 403
    completed.refresh_from_db()
    assert completed.status == Redemption.Status.COMPLETED


def test_a_permitted_user_reverses_with_a_reason_and_the_use_returns(manager, completed, voucher, advisor):
    assert 'data-testid="reverse-link"' in manager.get(receipt_url(completed)).content.decode()
    response = post_reversal(manager, completed, reason="Customer changed their mind")
    assert response.status_code == 302
    assert response.url == receipt_url(completed)
    assert "Redemption reversed. The use is back on the voucher." in messages_of(response)
    completed.refresh_from_db()
    voucher.refresh_from_db()
    assert completed.status == Redemption.Status.REVERSED
    assert completed.reversal_reason == "Customer changed their mind"
    assert completed.reversed_by == advisor
    assert voucher.uses_left == 6
    kinds = list(LedgerEntry.objects.filter(voucher=voucher).values_list("kind", "delta"))
    assert kinds[-2:] == [("redeemed", -1), ("reversed", 1)]
    receipt = manager.get(receipt_url(completed)).content.decode()
    assert 'data-status="reversed"' in receipt
    assert "Customer changed their mind" in receipt


def test_a_reason_is_mandatory(manager, completed, voucher):
    response = post_reversal(manager, completed, reason="   ")
    assert response.status_code == 200
    assert "Please give a reason." in response.content.decode()
    completed.refresh_from_db()
    assert completed.status == Redemption.Status.COMPLETED


def test_a_replayed_reversal_changes_nothing(manager, completed, voucher):
    token = form_token(manager.get(reverse_url(completed)).content.decode(), reverse_url(completed))
    manager.post(reverse_url(completed), {"token": token, "reason": "mistake"})
    again = manager.post(reverse_url(completed), {"token": token, "reason": "mistake"})
    assert "This redemption had already been reversed; nothing changed." in messages_of(again)
    voucher.refresh_from_db()
    assert voucher.uses_left == 6
    assert LedgerEntry.objects.filter(voucher=voucher, kind="reversed").count() == 1


def test_outside_the_window_reversal_is_refused(manager, advisor, vehicle, dealer, settings):
    settings.REDEMPTION_REVERSAL_WINDOW = timedelta(hours=1)
    earlier = timezone.now() - timedelta(minutes=61)
    voucher = issue_voucher(DefinitionFactory(), vehicle=vehicle, now=earlier - timedelta(minutes=1))
    old = redemption_redeem(
        voucher=voucher, vehicle=vehicle, dealer=dealer, idempotency_key="old", now=earlier
    )
    assert "reverse-link" not in manager.get(receipt_url(old)).content.decode()
    page = manager.get(reverse_url(old)).content.decode()
    assert "too old to reverse here" in page
    assert 'name="token"' not in page  # no form is offered
    # A form posted anyway (kept open since the window closed) is refused by the service.
    token = form_token_issue(user_id=advisor.pk, action=REVERSE_ACTION, target=redemption_target(old.pk))
    response = manager.post(reverse_url(old), {"token": token, "reason": "late"})
    assert response.status_code == 200
    assert "too old to reverse here" in response.content.decode()
    old.refresh_from_db()
    voucher.refresh_from_db()
    assert old.status == Redemption.Status.COMPLETED
    assert voucher.uses_left == 0


def test_a_held_service_cannot_be_reversed(manager, vehicle, voucher, dealer):
    hold = redemption_start(voucher=voucher, vehicle=vehicle, dealer=dealer, idempotency_key="h")
    assert "Only a completed redemption can be reversed." in manager.get(reverse_url(hold)).content.decode()


def test_a_tampered_reversal_token_is_refused(manager, completed):
    response = manager.post(reverse_url(completed), {"token": "nonsense", "reason": "x"})
    assert response.status_code == 400
    completed.refresh_from_db()
    assert completed.status == Redemption.Status.COMPLETED
