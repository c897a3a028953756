"""Every counter form answers a refused one-time token the same way (one decorator), after its own
look-ups: stale -> a message and a fresh form, not genuine -> a refusal page; nothing recorded."""

import time

import pytest
from django.urls import reverse

from redemption.models import Redemption
from redemption.presentation import CANCEL_ACTION, REVERSE_ACTION, redemption_target
from redemption.services import redemption_redeem, redemption_start
from redemption.tokens import form_token_issue

from .conftest import grant_reversal, messages_of, signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(advisor):
    return grant_reversal(advisor)


def _cancel(vehicle, voucher, dealer):
    hold = redemption_start(voucher=voucher, vehicle=vehicle, dealer=dealer, idempotency_key="h")
    return hold, "counter:cancel", CANCEL_ACTION, Redemption.Status.HELD


def _reverse(vehicle, voucher, dealer):
    done = redemption_redeem(voucher=voucher, vehicle=vehicle, dealer=dealer, idempotency_key="r")
    return done, "counter:reverse", REVERSE_ACTION, Redemption.Status.COMPLETED


FORMS = {"cancel": _cancel, "reverse": _reverse}
EXPIRED_BACK = {"cancel": "counter:receipt", "reverse": "counter:reverse"}


@pytest.mark.parametrize("form", FORMS)
def test_a_stale_token_sends_back_to_a_fresh_form(
    form, manager, vehicle, voucher, dealer, settings, monkeypatch
):
    settings.COUNTER_FORM_TOKEN_MAX_AGE_SECONDS = 60
    redemption, url_name, action, status = FORMS[form](vehicle, voucher, dealer)
    token = form_token_issue(user_id=manager.pk, action=action, target=redemption_target(redemption.pk))
    later = time.time() + 61
    monkeypatch.setattr(time, "time", lambda: later)

    response = signed_in(manager).post(
        reverse(url_name, args=[redemption.pk]), {"token": token, "reason": "x"}
    )

    assert response.status_code == 302
    assert response.url == reverse(EXPIRED_BACK[form], args=[redemption.pk])
    assert any("open too long" in m for m in messages_of(response))
    assert Redemption.objects.get(pk=redemption.pk).status == status


@pytest.mark.parametrize("form", FORMS)
def test_a_token_that_is_not_genuine_is_refused_with_a_way_back(form, manager, vehicle, voucher, dealer):
    redemption, url_name, _action, status = FORMS[form](vehicle, voucher, dealer)

    response = signed_in(manager).post(
        reverse(url_name, args=[redemption.pk]), {"token": "nonsense", "reason": "x"}
    )

    assert response.status_code == 400
    assert reverse("counter:receipt", args=[redemption.pk]) in response.content.decode()
    assert Redemption.objects.get(pk=redemption.pk).status == status


@pytest.mark.parametrize("form", FORMS)
def test_another_dealers_redemption_is_404_whatever_the_token(form, vehicle, voucher, dealer, other_advisor):
    redemption, url_name, _action, status = FORMS[form](vehicle, voucher, dealer)

    response = signed_in(grant_reversal(other_advisor)).post(
        reverse(url_name, args=[redemption.pk]), {"token": "nonsense", "reason": "x"}
    )

    assert response.status_code == 404
    assert Redemption.objects.get(pk=redemption.pk).status == status
