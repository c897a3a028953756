import re
import time

import pytest
from django.conf import settings
from django.test import Client

from campaigns.models import Notification
from portal.auth import LAST_SEEN_KEY, MEMBER_KEY, SIGNED_IN_KEY
from tests.factories import MemberFactory, OwnedVehicleFactory

TOKEN = "t" * 32  # a well-formed idempotency token for posts made by tests


def sign_in(client: Client, member, *, signed_in_ago: int = 0, idle_for: int = 0) -> Client:
    """Put `member` in the client's session the way a successful code check does."""
    session = client.session
    now = int(time.time())
    session[MEMBER_KEY] = member.pk
    session[SIGNED_IN_KEY] = now - signed_in_ago
    session[LAST_SEEN_KEY] = now - idle_for
    session.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
    return client


def english_client(**kwargs) -> Client:
    """Pages in English, so assertions read the msgids whatever catalogues exist."""
    client = Client(**kwargs)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def latest_code(phone: str) -> str:
    """The one-time code from the newest sign-in SMS in the outbox (what the owner reads)."""
    body = (
        Notification.objects.filter(purpose=Notification.Purpose.LOGIN_CODE, recipient=phone)
        .latest("pk")
        .body
    )
    return re.search(r"\b(\d{6})\b", body).group(1)


def page_messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


@pytest.fixture
def owner(db):
    return MemberFactory(name="王小明")


@pytest.fixture
def other(db):
    return MemberFactory(name="陳大文")


@pytest.fixture
def car(owner):
    return OwnedVehicleFactory(owner=owner)


@pytest.fixture
def owner_client(owner):
    return sign_in(english_client(), owner)
