"""Wizard step 1 keeps and validates only the validity fields of the chosen policy: a value left in
another policy's (hidden) field is cleared, never saved and never an error."""

from datetime import date

import pytest
from django.urls import reverse

from tests.factories.staff import staff_user, use_english
from vouchers.models import VoucherDefinition
from vouchers.validity import POLICY_FIELDS, VALIDITY_FIELDS

from .test_admin_wizard import STEP1

pytestmark = pytest.mark.django_db
D = VoucherDefinition
NEW = "admin:vouchers_voucherdefinition_wizard_new"
# A value in every validity field, as a page whose operator switched policies would send them.
EVERY_FIELD = {
    "valid_from_date": "2027-01-01",
    "valid_until_date": "2027-12-31",
    "validity_days": "45",
    "delivery_offset_months": "6",
    "delivery_window_months": "24",
    "series_count": "3",
    "series_step_months": "6",
}
KEPT = {
    "valid_from_date": date(2027, 1, 1),
    "valid_until_date": date(2027, 12, 31),
    "validity_days": 45,
    "delivery_offset_months": 6,
    "delivery_window_months": 24,
    "series_count": 3,
    "series_step_months": 6,
}
DEFAULTS = {
    "valid_from_date": None,
    "valid_until_date": None,
    "validity_days": None,
    "delivery_offset_months": 0,
    "delivery_window_months": 12,
    "series_count": 1,
    "series_step_months": 12,
}


@pytest.fixture(autouse=True)
def operator(client, settings):
    use_english(settings)
    settings.VOUCHERS_TAIWAN_PAID_NO_EXPIRY = False
    client.force_login(staff_user("Operations", username="ops-validity"))


def post_step1(client, **fields):
    return client.post(reverse(NEW), {**STEP1, **fields, "_next": "1"})


def test_every_validity_field_belongs_to_some_policy():
    assert set(EVERY_FIELD) == set(VALIDITY_FIELDS) == set(KEPT) == set(DEFAULTS)


@pytest.mark.parametrize("policy", list(POLICY_FIELDS))
def test_only_the_chosen_policys_fields_are_kept(client, policy):
    response = post_step1(client, validity_policy=policy, **EVERY_FIELD)

    assert response.status_code == 302, response.context["form"].errors
    definition = D.objects.get(code="spring-wash")
    for name in VALIDITY_FIELDS:
        expected = KEPT[name] if name in POLICY_FIELDS[policy] else DEFAULTS[name]
        assert getattr(definition, name) == expected, f"{policy}: {name}"


@pytest.mark.parametrize(
    ("policy", "stale"),
    [
        ("days_from_issue", {"valid_from_date": "2027-12-31", "valid_until_date": "not a date"}),
        ("fixed", {"validity_days": "-5", "series_count": "0", "delivery_window_months": ""}),
        ("delivery_window", {"validity_days": "99999999", "valid_until_date": "2000-01-01"}),
        ("no_expiry", {"validity_days": "abc", "delivery_offset_months": "", "series_count": "12"}),
    ],
)
def test_a_stale_value_in_another_policys_field_is_no_error(client, policy, stale):
    data = {**EVERY_FIELD, **stale}

    response = post_step1(client, validity_policy=policy, **data)

    assert response.status_code == 302, response.context["form"].errors
    definition = D.objects.get(code="spring-wash")
    for name in stale:
        assert getattr(definition, name) == DEFAULTS[name]


@pytest.mark.parametrize(
    ("policy", "fields", "error_field"),
    [
        ("fixed", {"valid_until_date": ""}, "valid_until_date"),
        ("fixed", {"valid_from_date": "2027-12-31", "valid_until_date": "2027-01-01"}, "valid_until_date"),
        ("days_from_issue", {"validity_days": ""}, "validity_days"),
        ("days_from_activation", {"validity_days": "99999999"}, "validity_days"),
        ("delivery_window", {"delivery_window_months": ""}, "delivery_window_months"),
        ("delivery_window", {"series_count": "0"}, "series_count"),
    ],
)
def test_the_chosen_policys_fields_are_validated(client, policy, fields, error_field):
    response = post_step1(client, validity_policy=policy, **{**EVERY_FIELD, **fields})

    assert response.status_code == 200
    assert error_field in response.context["form"].errors
    assert not D.objects.exists()


def test_a_series_outside_a_delivery_window_is_cleared_rather_than_refused(client):
    response = post_step1(client, validity_policy="days_from_issue", validity_days="90", series_count="12")

    assert response.status_code == 302
    assert D.objects.get(code="spring-wash").series_count == 1


def test_the_page_marks_each_validity_field_with_its_policies_for_the_static_script(client):
    html = client.get(reverse(NEW)).content.decode()

    assert "admin/backoffice/validity_fields.js" in html
    assert "<script>" not in html  # no inline script (a CSP with nonces is on its way)
    assert 'data-validity-policy=""' in html
    assert 'name="valid_until_date"' in html and 'data-validity-policies="fixed"' in html
    assert 'data-validity-policies="days_from_issue days_from_activation"' in html
    assert 'data-validity-policies="delivery_window"' in html
