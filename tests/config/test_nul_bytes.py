"""A NUL byte in a back-office URL is a 400, never a 500: PostgreSQL refuses NUL in text, and admin
list filters and text primary keys (django-q tasks) sent it straight to the database."""

import pytest
from django.urls import reverse

from tests.factories.staff import staff_user

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "/admin/vouchers/voucher/?status__exact=%00",
        "/admin/redemption/redemption/?status__exact=active%00",
        "/admin/campaigns/messagetemplate/?key=%00",
        "/admin/django_q/failure/%00/change/",
    ],
)
def test_a_nul_byte_in_the_path_or_query_is_a_bad_request(client, url):
    client.force_login(staff_user("Operations", superuser=True))
    assert client.get(url).status_code == 400


def test_ordinary_urls_are_untouched(client):
    client.force_login(staff_user("Operations", superuser=True))
    assert (
        client.get(reverse("admin:vouchers_voucher_changelist") + "?status__exact=active").status_code == 200
    )


def test_the_counter_still_answers_such_search_text_itself(client):
    """Its search box takes any text (tests/redemption/counter/test_garbage.py); only the admin refuses."""
    client.force_login(staff_user("Advisor"))
    assert client.get(reverse("counter:search") + "?q=%00").status_code in (200, 302)
