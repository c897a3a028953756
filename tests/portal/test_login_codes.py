"""Sign-in codes: sent through the outbox, hashed, short-lived, few attempts, rate-limited."""

from datetime import timedelta

import pytest
from django.utils import timezone

from campaigns.models import Notification
from members.exceptions import InvalidPhone, RateLimited
from members.models import Member
from portal.exceptions import LoginCodeInvalid, LoginCodeWrong, SignInRegionNotServed
from portal.models import LoginCode
from portal.services import login_code_request, login_code_verify, login_codes_prune
from tests.factories import MemberFactory

from .conftest import latest_code

pytestmark = pytest.mark.django_db
PHONE = "+886912345678"
IP = "203.0.113.7"


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_request_queues_an_sms_and_stores_only_a_hash():
    login_code = login_code_request(phone="0912-345-678", client_ip=IP)

    sms = Notification.objects.get(purpose=Notification.Purpose.LOGIN_CODE)
    code = latest_code(PHONE)
    assert (sms.channel, sms.recipient, sms.member) == ("sms", PHONE, None)
    assert login_code.phone == PHONE
    assert code not in login_code.code_hash and code not in login_code.salt
    assert login_code.expires_at - login_code.created_at == timedelta(minutes=5)
    assert login_code.client_ip == IP


def test_request_for_a_member_addresses_them_in_their_language():
    member = MemberFactory(phone=PHONE, language="en")
    login_code_request(phone=PHONE, client_ip=IP)
    sms = Notification.objects.get()
    assert (sms.member, sms.language) == (member, "en")


@pytest.mark.parametrize("phone", ["02-2345-6789", "+886 2 2345 6789"])
def test_a_landline_is_refused(phone):
    with pytest.raises(InvalidPhone):  # the code goes by SMS
        login_code_request(phone=phone, client_ip=IP)
    assert not LoginCode.objects.exists() and not Notification.objects.exists()


@pytest.mark.parametrize("phone", ["+44 7400 123456", "+81 90-1234-5678", "+86 139 1234 5678"])
def test_a_mobile_outside_the_countries_served_gets_no_sms(phone):
    """The public form must not send SMS to anywhere (SMS-pumping fraud); TW by default."""
    with pytest.raises(SignInRegionNotServed) as refused:
        login_code_request(phone=phone, client_ip=IP)
    assert refused.value.code == "sign_in_region_not_served"
    assert not LoginCode.objects.exists() and not Notification.objects.exists()


def test_the_countries_served_are_a_setting(settings):
    settings.PORTAL_SIGN_IN_REGIONS = ["TW", "GB"]
    login_code_request(phone="+44 7400 123456", client_ip=IP)
    settings.PORTAL_SIGN_IN_REGIONS = []  # any country
    login_code_request(phone="+81 90-1234-5678", client_ip=IP)
    assert Notification.objects.filter(purpose="login_code").count() == 2


@pytest.mark.parametrize("phone", ["", "hello", "0912", "0912-345-678-999-000"])
def test_a_malformed_number_is_refused(phone):
    with pytest.raises(InvalidPhone):
        login_code_request(phone=phone, client_ip=IP)
    assert not LoginCode.objects.exists()


def test_correct_code_signs_in_an_existing_member_without_creating_one():
    member = MemberFactory(phone=PHONE)
    login_code_request(phone=PHONE, client_ip=IP)
    signed_in, created = login_code_verify(phone="0912 345 678", code=latest_code(PHONE), client_ip=IP)
    assert (signed_in, created) == (member, False)
    assert Member.objects.count() == 1
    assert LoginCode.objects.get().closed_reason == LoginCode.Closed.USED


def test_correct_code_for_an_unknown_number_creates_the_member():
    login_code_request(phone=PHONE, client_ip=IP)
    member, created = login_code_verify(phone=PHONE, code=latest_code(PHONE), client_ip=IP)
    assert created and member.phone == PHONE


def test_typed_code_may_contain_spaces_and_full_width_digits():
    login_code_request(phone=PHONE, client_ip=IP)
    code = latest_code(PHONE)
    typed = " ".join(chr(ord(c) + 0xFEE0) for c in code)  # full-width digits, spaced
    member, _created = login_code_verify(phone=PHONE, code=typed, client_ip=IP)
    assert member.phone == PHONE


def test_a_code_works_only_once():
    login_code_request(phone=PHONE, client_ip=IP)
    code = latest_code(PHONE)
    login_code_verify(phone=PHONE, code=code, client_ip=IP)
    with pytest.raises(LoginCodeInvalid):
        login_code_verify(phone=PHONE, code=code, client_ip=IP)


def test_wrong_codes_count_even_though_the_call_fails_and_the_last_one_closes_the_code():
    login_code_request(phone=PHONE, client_ip=IP)
    code = latest_code(PHONE)
    for attempts_left in (4, 3, 2, 1):
        with pytest.raises(LoginCodeWrong) as refused:
            login_code_verify(phone=PHONE, code=_wrong(code), client_ip=IP)
        assert refused.value.attempts_left == attempts_left
    assert LoginCode.objects.get().attempts == 4
    with pytest.raises(LoginCodeInvalid):
        login_code_verify(phone=PHONE, code=_wrong(code), client_ip=IP)
    row = LoginCode.objects.get()
    assert (row.attempts, row.closed_reason) == (5, LoginCode.Closed.TOO_MANY_ATTEMPTS)
    with pytest.raises(LoginCodeInvalid):  # even the right code is now useless
        login_code_verify(phone=PHONE, code=code, client_ip=IP)
    assert not Member.objects.exists()


def test_an_expired_code_is_refused():
    start = timezone.now()
    login_code_request(phone=PHONE, client_ip=IP, now=start)
    with pytest.raises(LoginCodeInvalid):
        login_code_verify(
            phone=PHONE, code=latest_code(PHONE), client_ip=IP, now=start + timedelta(minutes=5)
        )
    assert LoginCode.objects.get().closed_reason == LoginCode.Closed.EXPIRED


def test_a_code_is_accepted_until_just_before_it_expires():
    start = timezone.now()
    login_code_request(phone=PHONE, client_ip=IP, now=start)
    member, _ = login_code_verify(
        phone=PHONE, code=latest_code(PHONE), client_ip=IP, now=start + timedelta(minutes=4, seconds=59)
    )
    assert member.phone == PHONE


def test_a_new_code_replaces_the_previous_one():
    start = timezone.now()
    login_code_request(phone=PHONE, client_ip=IP, now=start)
    first = latest_code(PHONE)
    login_code_request(phone=PHONE, client_ip=IP, now=start + timedelta(seconds=61))
    second = latest_code(PHONE)
    assert LoginCode.objects.filter(closed_at__isnull=True).count() == 1
    if first != second:
        with pytest.raises(LoginCodeWrong):
            login_code_verify(phone=PHONE, code=first, client_ip=IP, now=start + timedelta(seconds=62))
    member, _ = login_code_verify(phone=PHONE, code=second, client_ip=IP, now=start + timedelta(seconds=63))
    assert member.phone == PHONE


def test_no_code_requested_is_refused_like_a_stale_code():
    with pytest.raises(LoginCodeInvalid):
        login_code_verify(phone=PHONE, code="123456", client_ip=IP)


def test_a_second_code_within_the_resend_interval_is_refused():
    start = timezone.now()
    login_code_request(phone=PHONE, client_ip=IP, now=start)
    with pytest.raises(RateLimited) as refused:
        login_code_request(phone=PHONE, client_ip=IP, now=start + timedelta(seconds=20))
    assert 1 <= refused.value.retry_after <= 40
    assert Notification.objects.count() == 1


def test_requests_per_number_are_limited_per_hour(settings):
    settings.PORTAL_CODE_RESEND_SECONDS = 0
    start = timezone.now().replace(minute=0, second=1)
    for i in range(5):
        login_code_request(phone=PHONE, client_ip=f"198.51.100.{i}", now=start + timedelta(minutes=i))
    with pytest.raises(RateLimited):
        login_code_request(phone=PHONE, client_ip="198.51.100.99", now=start + timedelta(minutes=6))
    assert Notification.objects.count() == 5


def test_requests_per_client_address_are_limited_per_hour(settings):
    settings.PORTAL_CODE_REQUESTS_PER_IP_PER_HOUR = 3
    start = timezone.now().replace(minute=0, second=1)
    for i in range(3):
        login_code_request(phone=f"+88691234560{i}", client_ip=IP, now=start)
    with pytest.raises(RateLimited):
        login_code_request(phone="+886912345609", client_ip=IP, now=start)
    assert Notification.objects.count() == 3


def test_verification_attempts_per_client_address_are_limited(settings):
    settings.PORTAL_VERIFY_ATTEMPTS_PER_IP_PER_HOUR = 3
    start = timezone.now().replace(minute=0, second=1)
    login_code_request(phone=PHONE, client_ip=IP, now=start)
    code = latest_code(PHONE)
    for _ in range(3):
        with pytest.raises(LoginCodeInvalid):
            login_code_verify(phone="+886912345679", code="000000", client_ip=IP, now=start)
    with pytest.raises(RateLimited):  # the right code for another number, from the same address
        login_code_verify(phone=PHONE, code=code, client_ip=IP, now=start)
    assert not Member.objects.exists()


def test_prune_deletes_only_codes_expired_long_ago():
    now = timezone.now()
    login_code_request(phone=PHONE, client_ip=IP, now=now - timedelta(days=3))
    login_code_request(phone="+886912345679", client_ip="198.51.100.1", now=now)
    assert login_codes_prune(now=now) == 1
    assert list(LoginCode.objects.values_list("phone", flat=True)) == ["+886912345679"]
