"""Fixtures of the counter terminal tests: two dealers with an advisor each, a car with vouchers,
and test clients signed in as those advisors (English, so assertions read the English messages)."""

import re
from html import unescape

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from tests.factories import (
    DealerFactory,
    DealerStaffFactory,
    DefinitionFactory,
    OwnedVehicleFactory,
    issue_voucher,
)

PASSWORD = "pass-word-123"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def dealer():
    return DealerFactory(name="台北內湖服務廠", city="台北市")


@pytest.fixture
def other_dealer():
    return DealerFactory(name="高雄左營服務廠", city="高雄市")


@pytest.fixture
def advisor(dealer):
    return DealerStaffFactory(dealer=dealer, display_name="SA Lin").user


@pytest.fixture
def other_advisor(other_dealer):
    return DealerStaffFactory(dealer=other_dealer, display_name="SA Wu").user


def grant_reversal(user):
    user.user_permissions.add(Permission.objects.get(codename="reverse_redemption"))
    # The permission cache lives on the instance: a fresh copy sees the new permission.
    return type(user).objects.get(pk=user.pk)


def signed_in(user) -> Client:
    client = Client(headers={"accept-language": "en"})
    client.force_login(user)
    return client


@pytest.fixture
def counter(advisor) -> Client:
    return signed_in(advisor)


@pytest.fixture
def other_counter(other_advisor) -> Client:
    return signed_in(other_advisor)


@pytest.fixture
def vehicle():
    return OwnedVehicleFactory(plate="ABC-1234", plate_key="ABC1234")


@pytest.fixture
def wash_pack():
    return DefinitionFactory(name="Wash pack", uses_per_voucher=6)


@pytest.fixture
def voucher(vehicle, wash_pack):
    return issue_voucher(wash_pack, vehicle=vehicle)


@pytest.fixture
def single_use(vehicle):
    return issue_voucher(DefinitionFactory(name="Single wash", uses_per_voucher=1), vehicle=vehicle)


def vehicle_url(vehicle, voucher=None) -> str:
    url = reverse("counter:vehicle", args=[vehicle.pk])
    return f"{url}?voucher={voucher.pk}" if voucher is not None else url


def use_url(vehicle, voucher) -> str:
    return reverse("counter:use", args=[vehicle.pk, voucher.pk])


def form_token(html: str, action_url: str) -> str:
    """The one-time token of the form posting to `action_url` on a rendered page."""
    match = re.search(
        r'action="' + re.escape(action_url) + r'"[^>]*>.*?name="token" value="([^"]+)"', html, re.DOTALL
    )
    assert match, f"no form posting to {action_url}"
    return unescape(match.group(1))


def page_token(client: Client, vehicle, voucher) -> str:
    """GET the vehicle page as an advisor would and read the token of the voucher's form."""
    response = client.get(vehicle_url(vehicle))
    assert response.status_code == 200
    return form_token(response.content.decode(), use_url(vehicle, voucher))


def messages_of(response) -> list[str]:
    """The messages a (not followed) response queued for the next page."""
    return [str(m) for m in get_messages(response.wsgi_request)]
