"""Signing in and out, the dealer scope of a session, the idle timeout, and the log-in rate limit."""

import time

import pytest
from django.test import Client
from django.urls import reverse

from members.models import RateLimitBucket
from redemption.access import LAST_SEEN_KEY
from tests.factories import DealerFactory, DealerStaffFactory, UserFactory

from .conftest import PASSWORD, messages_of, signed_in

pytestmark = pytest.mark.django_db

LOGIN = reverse("counter:login")
HOME = reverse("counter:home")


def english() -> Client:
    return Client(headers={"accept-language": "en"})


def test_an_advisor_signs_in_and_lands_on_the_counter_of_their_dealer(advisor, dealer):
    client = english()
    response = client.post(LOGIN, {"username": advisor.username, "password": PASSWORD})
    assert response.status_code == 302
    assert response.url == HOME
    page = client.get(HOME)
    assert page.status_code == 200
    assert dealer.name in page.content.decode()
    assert 'id="counter-q"' in page.content.decode()


def test_sign_in_goes_back_to_the_page_that_asked_for_it(advisor, vehicle):
    client = english()
    wanted = reverse("counter:vehicle", args=[vehicle.pk])
    first = client.get(wanted)
    assert first.status_code == 302
    assert first.url == f"{LOGIN}?next={wanted}"
    response = client.post(LOGIN, {"username": advisor.username, "password": PASSWORD, "next": wanted})
    assert response.url == wanted


def test_a_wrong_password_is_refused_without_signing_in(advisor):
    client = english()
    response = client.post(LOGIN, {"username": advisor.username, "password": "wrong"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    assert client.get(HOME).status_code == 302


def test_a_user_without_a_dealer_cannot_sign_in_to_the_counter():
    user = UserFactory()
    client = english()
    response = client.post(LOGIN, {"username": user.username, "password": PASSWORD})
    assert response.status_code == 200
    assert "not set up for the counter" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_staff_of_an_inactive_dealer_cannot_sign_in():
    staff = DealerStaffFactory(dealer=DealerFactory(is_active=False))
    response = english().post(LOGIN, {"username": staff.user.username, "password": PASSWORD})
    assert "not set up for the counter" in response.content.decode()


def test_a_signed_in_user_without_a_dealer_gets_a_clear_403_on_every_counter_page():
    user = UserFactory()
    client = signed_in(user)
    response = client.get(HOME)
    assert response.status_code == 403
    assert "not linked to a dealer" in response.content.decode()


def test_sign_out_ends_the_session_and_only_accepts_post(counter):
    assert counter.get(reverse("counter:logout")).status_code == 405
    response = counter.post(reverse("counter:logout"))
    assert response.status_code == 302
    assert response.url == LOGIN
    assert "You have signed out." in messages_of(response)
    assert counter.get(HOME).status_code == 302


def test_an_idle_session_is_signed_out(counter, settings):
    settings.COUNTER_IDLE_TIMEOUT_SECONDS = 600
    assert counter.get(HOME).status_code == 200
    session = counter.session
    session[LAST_SEEN_KEY] = int(time.time()) - 601
    session.save()
    response = counter.get(HOME)
    assert response.status_code == 302
    assert response.url.startswith(LOGIN)
    assert any("10 minutes without activity" in m for m in messages_of(response))
    assert counter.get(HOME).status_code == 302  # really signed out, not just redirected once


def test_activity_keeps_the_session_alive(counter, settings):
    settings.COUNTER_IDLE_TIMEOUT_SECONDS = 600
    session = counter.session
    session[LAST_SEEN_KEY] = int(time.time()) - 500  # well inside the limit, however slow the machine
    session.save()
    assert counter.get(HOME).status_code == 200
    assert counter.session[LAST_SEEN_KEY] >= int(time.time()) - 60  # the clock was reset
    assert counter.get(HOME).status_code == 200


# Wrong passwords per (account, address) pair: tests/members/test_login_throttle.py


def test_log_in_attempts_are_rate_limited_per_client_address(advisor, settings):
    settings.COUNTER_LOGINS_PER_ADDRESS = 2
    client = english()
    for name in ("someone", "someone-else"):
        client.post(LOGIN, {"username": name, "password": "wrong"})
    response = client.post(LOGIN, {"username": advisor.username, "password": PASSWORD})
    assert "Too many attempts" in response.content.decode()
    other_address = english().post(
        LOGIN, {"username": advisor.username, "password": PASSWORD}, REMOTE_ADDR="10.0.0.9"
    )
    assert other_address.status_code == 302


@pytest.mark.parametrize("username", ["\x00", "sa\x00lin"])
def test_a_user_name_with_a_nul_byte_is_a_form_error(advisor, username):
    """PostgreSQL refuses NUL in text: the raw name used as a rate-limit key made this a 500 there."""
    response = english().post(LOGIN, {"username": username, "password": "x"})
    assert response.status_code == 200
    assert not [key for key in RateLimitBucket.objects.values_list("key", flat=True) if "\x00" in key]


def test_pages_are_zh_hant_by_default(counter, advisor):
    client = Client()
    client.force_login(advisor)
    assert 'lang="zh-Hant-TW"' in client.get(HOME).content.decode()


def test_counter_pages_are_not_kept_by_shared_caches(counter):
    cache_control = counter.get(HOME)["Cache-Control"]
    assert "private" in cache_control
    assert "no-cache" in cache_control


def test_health_answers_without_a_session(django_assert_num_queries):
    with django_assert_num_queries(0):
        response = Client().get(reverse("counter:health"))
    assert response.status_code == 200
    assert response.content == b"ok"


def test_the_home_page_links_to_the_counter():
    assert reverse("counter:home") in Client().get("/").content.decode()


def test_a_role_removed_while_signed_in_counts_on_the_next_request(counter, advisor):
    # The role is read with the user on every request (members.auth_backends), never kept.
    assert counter.get(HOME).status_code == 200
    advisor.dealer_staff.delete()
    assert counter.get(HOME).status_code == 403


def test_a_dealer_deactivated_while_its_advisor_is_signed_in_counts_on_the_next_request(counter, dealer):
    assert counter.get(HOME).status_code == 200
    dealer.is_active = False
    dealer.save(update_fields=["is_active"])
    assert counter.get(HOME).status_code == 403


def test_a_move_to_another_dealer_counts_on_the_next_request(counter, advisor, other_dealer):
    assert counter.get(HOME).context["counter"].dealer != other_dealer
    staff = advisor.dealer_staff
    staff.dealer = other_dealer
    staff.save(update_fields=["dealer"])
    assert counter.get(HOME).context["counter"].dealer == other_dealer


def test_a_counter_page_reads_the_user_and_their_role_in_one_query(counter, django_assert_num_queries):
    counter.get(HOME)  # the first request of a session also writes the session
    with django_assert_num_queries(2) as captured:  # the session, then the user with their role
        assert counter.get(reverse("counter:search"), {"q": ""}).status_code == 302
    assert "members_dealerstaff" in captured.captured_queries[1]["sql"]
