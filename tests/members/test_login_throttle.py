"""Log-in throttling of the counter and the back office: wrong passwords slow down one (account,
address) pair with a growing wait; nobody can lock a real advisor or operator out from every address."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from members.exceptions import LoginThrottled
from members.login_throttle import (
    login_delay_seconds,
    login_failure_record,
    login_failures_clear,
    login_throttle_check,
)
from tests.factories import DealerStaffFactory, UserFactory
from tests.factories.staff import staff_user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("one_rate_limit_window")]

PASSWORD = "pass-word-123"  # UserFactory's
ATTACKER = "10.0.0.66"
ELSEWHERE = "10.0.0.7"


@pytest.fixture(autouse=True)
def _fast_passwords_and_known_delays(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.LOGIN_FAILURES_BEFORE_DELAY = 5
    settings.LOGIN_DELAY_BASE_SECONDS = 60
    settings.LOGIN_DELAY_MAX_SECONDS = 900
    settings.COUNTER_LOGINS_PER_ADDRESS = 1000
    settings.ADMIN_LOGINS_PER_ADDRESS = 1000


def _counter_user():
    return DealerStaffFactory().user


def _admin_user():
    return staff_user("Operations", username="operator-lee")


LOG_INS = {
    "counter": (reverse("counter:login"), _counter_user),
    "admin": (reverse("admin:login"), _admin_user),
}


@pytest.fixture(params=sorted(LOG_INS))
def log_in(request):
    url, make_user = LOG_INS[request.param]
    user = make_user()

    def attempt(password, *, address=ATTACKER, username=None, client=None):
        client = client or Client(headers={"accept-language": "en"})
        response = client.post(
            url, {"username": username or user.username, "password": password}, REMOTE_ADDR=address
        )
        signed_in = client.session.get("_auth_user_id") == str(user.pk)
        return response, signed_in

    attempt.user = user
    return attempt


@pytest.fixture
def later(monkeypatch):
    """Stop the clock when the test begins; `later(s)` moves it to `s` seconds after that (the
    rate-limit window stays where it was)."""
    began = timezone.now()

    def move(seconds):
        moved = began + timedelta(seconds=seconds)
        monkeypatch.setattr(timezone, "now", lambda: moved)

    move(0)
    return move


def test_forty_wrong_guesses_then_the_right_password_from_that_address_is_refused(log_in):
    for _ in range(40):
        response, signed_in = log_in("wrong")
        assert not signed_in
    response, signed_in = log_in(PASSWORD)
    assert not signed_in
    assert response.status_code == 200
    page = response.content.decode()
    assert "Too many wrong passwords for this account from this address" in page
    assert "You can try again at" in page


def test_the_right_password_from_another_address_still_signs_in(log_in):
    for _ in range(40):
        log_in("wrong")
    response, signed_in = log_in(PASSWORD, address=ELSEWHERE)
    assert signed_in and response.status_code == 302


def test_the_right_password_works_once_the_wait_is_over(log_in, later):
    for _ in range(5):
        log_in("wrong")
    assert log_in(PASSWORD)[1] is False
    later(61)
    assert log_in(PASSWORD)[1] is True


def test_the_wait_grows_with_each_failure_after_it(log_in, later):
    for _ in range(5):
        log_in("wrong")
    later(61)  # the first wait (60 s) is over: one more wrong guess doubles it
    log_in("wrong")
    later(61 + 61)
    assert log_in(PASSWORD)[1] is False
    later(61 + 121)
    assert log_in(PASSWORD)[1] is True


def test_attempts_during_the_wait_do_not_make_it_longer(log_in, later):
    for _ in range(5):
        log_in("wrong")
    for _ in range(20):
        log_in("wrong")  # refused before the password is looked at
    later(61)
    assert log_in(PASSWORD)[1] is True


def test_a_success_clears_the_pairs_count(log_in):
    for _ in range(4):
        log_in("wrong")
    assert log_in(PASSWORD)[1] is True
    for _ in range(4):
        log_in("wrong")
    assert log_in(PASSWORD)[1] is True  # 8 failures in all, but never 5 in a row


def test_the_four_free_failures_leave_the_right_password_working(log_in):
    for _ in range(4):
        log_in("wrong")
    assert log_in(PASSWORD)[1] is True


def test_another_spelling_of_the_name_shares_the_count(log_in):
    for _ in range(5):
        log_in("wrong", username=f"  {log_in.user.username.upper()} ")
    assert log_in(PASSWORD)[1] is False


def test_the_wait_message_is_translated(log_in):
    for _ in range(5):
        log_in("wrong")
    client = Client(headers={"accept-language": "zh-hant"})
    response, signed_in = log_in(PASSWORD, client=client)
    assert not signed_in
    assert "錯誤密碼的次數過多" in response.content.decode()


def test_the_counter_and_the_back_office_count_apart():
    user = staff_user("Operations", username="both-ways")
    DealerStaffFactory(user=user)
    for _ in range(5):
        Client().post(
            reverse("admin:login"), {"username": user.username, "password": "x"}, REMOTE_ADDR=ATTACKER
        )
    client = Client()
    client.post(
        reverse("counter:login"), {"username": user.username, "password": PASSWORD}, REMOTE_ADDR=ATTACKER
    )
    assert client.session.get("_auth_user_id") == str(user.pk)


@pytest.mark.parametrize("scope", ["admin", "counter"])
def test_each_log_in_keeps_its_limit_per_address(scope, settings):
    setattr(settings, f"{scope.upper()}_LOGINS_PER_ADDRESS", 2)
    user = _admin_user() if scope == "admin" else _counter_user()
    url = reverse(f"{scope}:login")
    for name in ("someone", "someone-else"):
        Client().post(url, {"username": name, "password": "wrong"}, REMOTE_ADDR=ATTACKER)
    client = Client(headers={"accept-language": "en"})
    response = client.post(url, {"username": user.username, "password": PASSWORD}, REMOTE_ADDR=ATTACKER)
    assert "Too many attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session
    other = Client()
    other.post(url, {"username": user.username, "password": PASSWORD}, REMOTE_ADDR=ELSEWHERE)
    assert other.session.get("_auth_user_id") == str(user.pk)


def test_a_refused_account_with_the_right_password_is_not_counted_as_a_guess(settings):
    """Not counter staff: the password was right, so it does not bring the pair nearer its wait."""
    user = UserFactory()
    for _ in range(6):
        Client().post(
            reverse("counter:login"), {"username": user.username, "password": PASSWORD}, REMOTE_ADDR=ATTACKER
        )
    login_throttle_check(scope="counter", username=user.username, address=ATTACKER)


# --- the throttle itself ----------------------------------------------------------------------------


def test_the_delay_starts_after_the_free_failures_doubles_and_stops_at_the_maximum():
    assert [login_delay_seconds(n) for n in range(4, 12)] == [0, 60, 120, 240, 480, 900, 900, 900]
    assert login_delay_seconds(10**9) == 900


def test_the_check_says_how_long_to_wait():
    pair = {"scope": "admin", "username": "lee", "address": ATTACKER}
    for _ in range(5):
        login_failure_record(**pair)
    with pytest.raises(LoginThrottled) as caught:
        login_throttle_check(**pair)
    assert 55 <= caught.value.retry_after <= 60
    assert caught.value.code == "login_throttled"
    login_failures_clear(**pair)
    login_throttle_check(**pair)
