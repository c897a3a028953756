"""Two dealers with an advisor each, an owner with a car, and clients signed in on each side
(English, so assertions read the English messages)."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from tests.factories import DealerFactory, DealerStaffFactory, MemberFactory, OwnedVehicleFactory
from tests.portal.conftest import english_client, sign_in


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def dealer(db):
    return DealerFactory(name="台北內湖服務廠", phone="02-2799-0000")


@pytest.fixture
def other_dealer(db):
    return DealerFactory(name="高雄左營服務廠", city="高雄市")


@pytest.fixture
def advisor(dealer):
    return DealerStaffFactory(dealer=dealer, display_name="SA Lin").user


@pytest.fixture
def other_advisor(other_dealer):
    return DealerStaffFactory(dealer=other_dealer, display_name="SA Wu").user


@pytest.fixture
def owner(db):
    return MemberFactory(name="王小明", consent_service=True)


@pytest.fixture
def car(owner, dealer):
    return OwnedVehicleFactory(owner=owner, selling_dealer=dealer)


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def in_days(today):
    return lambda n: today + timedelta(days=n)


def counter_client(user) -> Client:
    client = Client(headers={"accept-language": "en"})
    client.force_login(user)
    return client


@pytest.fixture
def owner_client(owner):
    return sign_in(english_client(), owner)
