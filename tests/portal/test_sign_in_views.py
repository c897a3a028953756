"""Signing in and out through the pages; sessions that end; pages nobody reaches signed out."""

import time

import pytest
from django.conf import settings
from django.urls import reverse

from members.models import Member
from portal.auth import LAST_SEEN_KEY, MEMBER_KEY
from portal.models import LoginCode
from tests.factories import MemberFactory, UserFactory

from .conftest import english_client, latest_code, page_messages, sign_in

pytestmark = pytest.mark.django_db
PHONE = "+886912345678"
GUARDED_GETS = [
    "portal:home",
    "portal:wallet",
    "portal:claim_centre",
    "portal:preferences",
    "portal:vehicle_bind",
]


@pytest.mark.parametrize("name", GUARDED_GETS)
def test_pages_need_signing_in(name):
    response = english_client().get(reverse(name))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('portal:sign_in')}?next={reverse(name)}"


def test_full_sign_in_links_the_session_to_the_member_with_that_number():
    member = MemberFactory(phone=PHONE)
    client = english_client()
    client.get(reverse("portal:sign_in"))
    response = client.post(reverse("portal:sign_in"), {"phone": "0912-345-678"})
    assert response["Location"] == reverse("portal:sign_in_code")
    key_before = client.session.session_key

    response = client.post(reverse("portal:sign_in_code"), {"code": latest_code(PHONE)}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("portal:home")
    assert client.session[MEMBER_KEY] == member.pk
    assert client.session.session_key != key_before  # rotated against session fixation
    assert client.session.get_expiry_age() == settings.PORTAL_SESSION_IDLE_SECONDS
    assert "You are signed in." in page_messages(response)


def test_first_sign_in_with_an_unknown_number_creates_the_member():
    client = english_client()
    client.post(reverse("portal:sign_in"), {"phone": PHONE})
    response = client.post(reverse("portal:sign_in_code"), {"code": latest_code(PHONE)}, follow=True)
    member = Member.objects.get(phone=PHONE)
    assert client.session[MEMBER_KEY] == member.pk
    assert any("Welcome" in m for m in page_messages(response))


def test_sign_in_returns_to_the_page_asked_for():
    client = english_client()
    client.get(reverse("portal:sign_in") + "?next=/portal/claim/")
    client.post(reverse("portal:sign_in"), {"phone": PHONE})
    response = client.post(reverse("portal:sign_in_code"), {"code": latest_code(PHONE)})
    assert response["Location"] == "/portal/claim/"


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/portal/", "/admin/", "/portal/../admin/"]
)
def test_sign_in_never_redirects_off_the_portal(target):
    client = english_client()
    client.get(reverse("portal:sign_in"), {"next": target})
    client.post(reverse("portal:sign_in"), {"phone": PHONE})
    response = client.post(reverse("portal:sign_in_code"), {"code": latest_code(PHONE)})
    assert response["Location"] == reverse("portal:home")


def test_a_wrong_code_says_how_many_attempts_are_left_and_signs_nobody_in():
    client = english_client()
    client.post(reverse("portal:sign_in"), {"phone": PHONE})
    wrong = f"{(int(latest_code(PHONE)) + 1) % 1_000_000:06d}"
    response = client.post(reverse("portal:sign_in_code"), {"code": wrong})
    assert response.status_code == 200
    assert "The code is not correct. 4 attempts left." in response.content.decode()
    assert MEMBER_KEY not in client.session
    assert LoginCode.objects.get().attempts == 1


def test_a_code_of_the_wrong_length_is_a_form_error_and_costs_no_attempt():
    client = english_client()
    client.post(reverse("portal:sign_in"), {"phone": PHONE})
    response = client.post(reverse("portal:sign_in_code"), {"code": "123"})
    assert "The code has 6 digits." in response.content.decode()
    assert LoginCode.objects.get().attempts == 0


def test_an_invalid_number_is_a_form_error():
    response = english_client().post(reverse("portal:sign_in"), {"phone": "12345"})
    assert response.status_code == 200
    assert "Enter a valid mobile number" in response.content.decode()
    assert not LoginCode.objects.exists()


def test_a_landline_is_a_form_error():
    response = english_client().post(reverse("portal:sign_in"), {"phone": "02-2345-6789"})
    assert "Enter a valid mobile number" in response.content.decode()
    assert not LoginCode.objects.exists()


def test_a_foreign_mobile_is_a_form_error_that_says_why():
    response = english_client().post(reverse("portal:sign_in"), {"phone": "+81 90-1234-5678"})
    assert response.status_code == 200
    assert "countries we serve" in response.content.decode()
    assert not LoginCode.objects.exists()


def test_the_code_page_without_a_number_goes_back_to_sign_in():
    response = english_client().get(reverse("portal:sign_in_code"))
    assert response["Location"] == reverse("portal:sign_in")


def test_resubmitting_the_number_right_away_reuses_the_code_just_sent():
    client = english_client()
    client.post(reverse("portal:sign_in"), {"phone": PHONE})
    response = client.post(reverse("portal:sign_in"), {"phone": PHONE})
    assert response["Location"] == reverse("portal:sign_in_code")
    assert LoginCode.objects.count() == 1


def test_asking_again_too_soon_for_another_browser_is_refused():
    english_client().post(reverse("portal:sign_in"), {"phone": PHONE})
    response = english_client().post(reverse("portal:sign_in"), {"phone": PHONE})
    assert response.status_code == 200
    assert "Too many attempts" in response.content.decode()


def test_resend_replaces_the_code(settings):
    settings.PORTAL_CODE_RESEND_SECONDS = 0
    client = english_client()
    client.post(reverse("portal:sign_in"), {"phone": PHONE})
    first = LoginCode.objects.get()
    response = client.post(reverse("portal:sign_in_resend"), follow=True)
    assert "We sent a new code." in " ".join(page_messages(response))
    first.refresh_from_db()
    assert first.closed_reason == LoginCode.Closed.SUPERSEDED
    assert LoginCode.objects.filter(closed_at__isnull=True).count() == 1


def test_resend_too_soon_shows_the_wait():
    client = english_client()
    client.post(reverse("portal:sign_in"), {"phone": PHONE})
    response = client.post(reverse("portal:sign_in_resend"), follow=True)
    assert any("Please wait" in m for m in page_messages(response))
    assert LoginCode.objects.count() == 1


def test_signed_in_owner_visiting_sign_in_goes_home(owner):
    client = sign_in(english_client(), owner)
    assert client.get(reverse("portal:sign_in"))["Location"] == reverse("portal:home")


def test_sign_out_needs_a_post_and_ends_the_session(owner):
    client = sign_in(english_client(), owner)
    assert client.get(reverse("portal:sign_out")).status_code == 405
    assert client.get(reverse("portal:home")).status_code == 200
    response = client.post(reverse("portal:sign_out"))
    assert response["Location"] == reverse("portal:sign_in")
    assert client.get(reverse("portal:home")).status_code == 302


def test_an_idle_session_ends(owner, settings):
    client = sign_in(english_client(), owner, idle_for=settings.PORTAL_SESSION_IDLE_SECONDS + 5)
    response = client.get(reverse("portal:home"), follow=True)
    assert response.redirect_chain[0][0].startswith(reverse("portal:sign_in"))
    assert "Your session has ended. Please sign in again." in page_messages(response)
    assert MEMBER_KEY not in client.session


def test_an_active_session_ends_at_its_maximum_age(owner, settings):
    client = sign_in(english_client(), owner, signed_in_ago=settings.PORTAL_SESSION_MAX_AGE_SECONDS + 5)
    assert client.get(reverse("portal:home")).status_code == 302


def test_activity_keeps_a_session_alive(owner, settings):
    client = sign_in(english_client(), owner, idle_for=settings.PORTAL_SESSION_IDLE_SECONDS - 5)
    assert client.get(reverse("portal:home")).status_code == 200
    assert time.time() - client.session[LAST_SEEN_KEY] < 5  # the visit reset the idle clock


def test_a_deleted_member_is_signed_out(owner):
    client = sign_in(english_client(), owner)
    Member.objects.filter(pk=owner.pk).delete()
    assert client.get(reverse("portal:home")).status_code == 302


def test_owner_pages_are_never_cached(owner_client):
    response = owner_client.get(reverse("portal:home"))
    assert "no-store" in response["Cache-Control"]


def test_an_owner_signing_in_on_a_staff_browser_ends_the_staff_log_in():
    """A counter terminal with an advisor signed in: the owner must not carry staff rights."""
    member = MemberFactory(phone=PHONE)
    client = english_client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    assert client.get(reverse("admin:index")).status_code == 200
    client.post(reverse("portal:sign_in"), {"phone": "0912-345-678"})

    client.post(reverse("portal:sign_in_code"), {"code": latest_code(PHONE)})

    assert client.session[MEMBER_KEY] == member.pk
    assert client.get(reverse("admin:index")).status_code == 302  # to the staff log-in
    assert client.get(reverse("portal:home")).status_code == 200


def test_a_staff_log_in_on_an_owners_browser_ends_the_owner_session(owner):
    client = sign_in(english_client(), owner)
    staff = UserFactory(username="sa-wang", is_staff=True)
    staff.set_password("pass-word-123")
    staff.save()

    response = client.post(reverse("admin:login"), {"username": "sa-wang", "password": "pass-word-123"})

    assert response.status_code == 302
    assert MEMBER_KEY not in client.session
    assert client.get(reverse("portal:home")).status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200
