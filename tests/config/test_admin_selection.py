"""A tampered admin list selection (`_selected_action`) is a 400, never a 500."""

import pytest
from django.urls import reverse

from tests.factories.staff import staff_user

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("changelist", "action", "selected"),
    [
        ("admin:campaigns_notification_changelist", "send_again", "abc"),
        ("admin:campaigns_notification_changelist", "send_again", "1.5"),
        ("admin:vouchers_voucher_changelist", "delete_selected", "99999999999999999999999"),
        ("admin:django_q_failure_changelist", "delete_selected", "id\x00"),
    ],
)
def test_a_tampered_list_selection_is_a_bad_request(client, changelist, action, selected):
    """The admin hands `_selected_action` straight to a query; tampered ids answered 500 there."""
    client.force_login(staff_user("Operations", superuser=True))
    response = client.post(reverse(changelist), {"action": action, "_selected_action": [selected]})
    assert response.status_code == 400


def test_a_well_formed_selection_still_reaches_the_action(client):
    client.force_login(staff_user("Operations", superuser=True))
    response = client.post(
        reverse("admin:campaigns_notification_changelist"),
        {"action": "send_again", "_selected_action": ["12345"]},
    )
    assert response.status_code == 302  # an unknown id selects nothing; the list answers as usual
