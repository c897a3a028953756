"""The referral link carries a code into sign-up; a new member is recorded as referred once; the
referral page shows the code, link, QR code, friends and rewards."""

import pytest
from django.urls import reverse

from loyalty.models import Programme, Referral
from loyalty.services import referral_code_issue, referral_record, referral_reward
from tests.factories import MemberFactory, VehicleFactory

from .conftest import english_client, latest_code, page_messages, sign_in

pytestmark = pytest.mark.django_db
NEW = "+886912777001"


def _sign_up(client, phone=NEW, **form):
    client.post(reverse("portal:sign_in"), {"phone": phone, **form})
    return client.post(reverse("portal:sign_in_code"), {"code": latest_code(phone)}, follow=True)


@pytest.fixture
def referrer(db):
    return MemberFactory(name="王小明")


def test_a_friend_who_signs_up_through_the_link_is_recorded(referrer):
    code = referral_code_issue(member=referrer).code
    client = english_client()
    response = client.get(reverse("portal:referral_link", args=[code.lower()]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("portal:sign_in")
    assert f'value="{code}"' in response.content.decode()  # the code shown on the form
    response = _sign_up(client)
    referral = Referral.objects.get()
    assert (referral.referrer, referral.friend.phone, referral.status) == (referrer, NEW, "pending")
    assert "Thank you for joining through a friend's invitation." in page_messages(response)


def test_a_code_typed_at_sign_up_is_recorded(referrer):
    code = referral_code_issue(member=referrer).code
    _sign_up(english_client(), referral_code=f"{code[:4]}-{code[4:]}")
    assert Referral.objects.get().referrer == referrer


def test_a_mistyped_code_is_shown_on_the_form(referrer):
    response = english_client().post(reverse("portal:sign_in"), {"phone": NEW, "referral_code": "0O1I"})
    assert response.status_code == 200 and response.context["form"].errors["referral_code"]


def test_an_existing_member_signing_in_through_a_link_is_not_referred(referrer):
    member = MemberFactory(phone=NEW)
    client = english_client()
    client.get(reverse("portal:referral_link", args=[referral_code_issue(member=referrer).code]))
    _sign_up(client)
    assert not Referral.objects.filter(friend=member).exists()


def test_an_unknown_link_says_so_and_records_nothing():
    client = english_client()
    response = client.get(reverse("portal:referral_link", args=["ZZZZ9999"]), follow=True)
    assert "This referral code is not valid." in page_messages(response)
    _sign_up(client)
    assert not Referral.objects.exists()


def test_a_signed_in_member_opening_a_link_is_told_it_is_for_new_members(referrer, owner):
    client = sign_in(english_client(), owner)
    response = client.get(reverse("portal:referral_link", args=[referral_code_issue(member=referrer).code]))
    assert response["Location"] == reverse("portal:home") and not Referral.objects.exists()


def test_the_referral_page_needs_signing_in():
    response = english_client().get(reverse("portal:referral"))
    assert response["Location"].startswith(reverse("portal:sign_in"))


def test_the_referral_page_shows_code_link_qr_friends_and_rewards(referrer, django_assert_max_num_queries):
    Programme.objects.update_or_create(pk=1, defaults={"referrer_points": 200, "friend_points": 100})
    code = referral_code_issue(member=referrer).code
    rewarded, waiting = MemberFactory(name="陳大文"), MemberFactory(name="林美華")
    referral_record(friend=rewarded, code=code)
    referral_record(friend=waiting, code=code)
    referral_reward(friend_id=rewarded.pk, trigger="vehicle", ref_id=VehicleFactory().pk)
    client = sign_in(english_client(), referrer)
    client.get(reverse("portal:referral"))  # session and code made once
    with django_assert_max_num_queries(12):
        response = client.get(reverse("portal:referral"))
    html = response.content.decode()
    assert response.status_code == 200
    assert code in html and f"/portal/r/{code}/" in html and "<svg" in html
    assert "陳○文" in html and "林○華" in html and "陳大文" not in html  # friends masked
    assert 'data-status="rewarded"' in html and 'data-status="pending"' in html
    assert response.context["overview"].points_earned == 200
    assert "You receive 200 points; your friend receives 100 points." in html


def test_the_referral_page_is_in_traditional_chinese(referrer):
    client = sign_in(english_client(), referrer)
    client.cookies["django_language"] = "zh-hant"
    html = client.get(reverse("portal:referral")).content.decode()
    assert "推薦好友" in html and "QR 碼" in html
