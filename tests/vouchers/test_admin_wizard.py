"""The four-step definition wizard, driven through the admin with the test client."""

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from tests.factories import DefinitionFactory, OwnedVehicleFactory, VehicleModelFactory, issue_voucher
from tests.factories.staff import staff_user, use_english
from vouchers.exceptions import DefinitionFieldsLocked
from vouchers.models import VoucherDefinition
from vouchers.services import definition_save_step

pytestmark = pytest.mark.django_db
D = VoucherDefinition

STEP1 = {
    "name": "春季洗車",
    "code": "spring-wash",
    "kind": "promotional",
    "category": "wash",
    "uses_per_voucher": "2",
    "face_value_twd": "0",
    "holder_type": "vehicle",
    "validity_policy": "days_from_issue",
    "validity_days": "90",
    "delivery_offset_months": "0",
    "delivery_window_months": "12",
    "series_count": "1",
    "series_step_months": "12",
    "warn_days": "30",
    "reminder_days": "30,7,1",
    "allowed_cities": "",
}
STEP2 = {"channel_manual": "on", "trigger_event": "", "trigger_once_per": "vehicle"}
STEP3 = {"activation_mode": "automatic"}
STEP4 = {
    "card_title": "春季洗車禮",
    "card_subtitle": "兩次",
    "card_colour": "#AA3300",
    "notice": "",
    "usage_rules": "每次限一台車",
    "show_new_badge": "on",
    "show_expiring_badge": "on",
    "show_restriction_tags": "on",
}


@pytest.fixture(autouse=True)
def english(settings):
    use_english(settings)


@pytest.fixture
def operator(client):
    user = staff_user("Operations", username="ops-wizard")
    client.force_login(user)
    return user


def step_url(definition, step):
    return reverse("admin:vouchers_voucherdefinition_wizard", args=[definition.pk, step])


def walk_to_review(client):
    response = client.post(reverse("admin:vouchers_voucherdefinition_wizard_new"), {**STEP1, "_next": "1"})
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    definition = D.objects.get(code="spring-wash")
    for step, data in ((2, STEP2), (3, STEP3), (4, STEP4)):
        response = client.post(step_url(definition, step), {**data, "_next": "1"})
        assert response.status_code == 302, response.context["form"].errors
    return definition, response


def test_add_goes_to_the_wizard(client, operator):
    response = client.get(reverse("admin:vouchers_voucherdefinition_add"))
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:vouchers_voucherdefinition_wizard_new")


def test_walk_the_four_steps_then_publish(client, operator):
    definition, response = walk_to_review(client)
    assert response["Location"] == reverse("admin:vouchers_voucherdefinition_review", args=[definition.pk])
    definition.refresh_from_db()
    assert definition.status == D.Status.DRAFT
    assert definition.wizard_step == 4
    assert (definition.uses_per_voucher, definition.validity_days, definition.card_title) == (
        2,
        90,
        "春季洗車禮",
    )
    response = client.post(response["Location"], {"_publish": "1"})
    assert response.status_code == 302
    definition.refresh_from_db()
    assert definition.status == D.Status.PUBLISHED
    assert LogEntry.objects.filter(object_id=str(definition.pk), change_message="Published.").exists()


def test_each_step_validates_its_own_fields(client, operator):
    bad = {**STEP1, "validity_policy": "fixed", "valid_until_date": "", "_next": "1"}
    response = client.post(reverse("admin:vouchers_voucherdefinition_wizard_new"), bad)
    assert response.status_code == 200
    assert "valid_until_date" in response.context["form"].errors
    assert not D.objects.exists()

    paid = {**STEP1, "kind": "paid", "face_value_twd": "0", "_next": "1"}
    response = client.post(reverse("admin:vouchers_voucherdefinition_wizard_new"), paid)
    assert "face_value_twd" in response.context["form"].errors

    client.post(reverse("admin:vouchers_voucherdefinition_wizard_new"), {**STEP1, "_next": "1"})
    definition = D.objects.get()
    response = client.post(
        step_url(definition, 2), {"trigger_event": "", "trigger_once_per": "vehicle", "_next": "1"}
    )
    assert response.status_code == 200
    assert "Choose at least one issue channel." in str(response.context["form"].non_field_errors())
    response = client.post(
        step_url(definition, 2), {**STEP2, "channel_event": "on", "trigger_event": "", "_next": "1"}
    )
    assert "trigger_event" in response.context["form"].errors
    response = client.post(
        step_url(definition, 3),
        {"activation_mode": "automatic", "activation_requires_verified_identity": "on", "_next": "1"},
    )
    # Step 3 is not reachable before step 2 is completed.
    assert response.status_code == 302
    assert response["Location"] == step_url(definition, 2)


def test_draft_is_saved_and_the_operator_can_come_back(client, operator):
    client.post(reverse("admin:vouchers_voucherdefinition_wizard_new"), {**STEP1, "_leave": "1"})
    definition = D.objects.get()
    assert definition.status == D.Status.DRAFT and definition.wizard_step == 1
    response = client.get(reverse("admin:vouchers_voucherdefinition_change", args=[definition.pk]))
    assert response.status_code == 200
    response = client.get(step_url(definition, 1))
    assert response.context["form"]["name"].value() == "春季洗車"


def test_back_keeps_what_was_entered_even_when_invalid(client, operator):
    client.post(reverse("admin:vouchers_voucherdefinition_wizard_new"), {**STEP1, "_next": "1"})
    definition = D.objects.get()
    half_done = {**STEP2, "stock_total": "500", "per_holder_limit": "0", "_back": "1"}
    response = client.post(step_url(definition, 2), half_done)
    assert response.status_code == 302 and response["Location"] == step_url(definition, 1)
    definition.refresh_from_db()
    assert definition.stock_total is None  # invalid, so not saved ...
    response = client.get(step_url(definition, 2))
    form = response.context["form"]
    assert form["stock_total"].value() == "500"  # ... but kept for the operator
    assert "per_holder_limit" in form.errors

    valid = {**STEP2, "stock_total": "500", "_back": "1"}
    client.post(step_url(definition, 2), valid)
    definition.refresh_from_db()
    assert definition.stock_total == 500
    assert definition.wizard_step == 1  # Back saves without completing the step


def test_publishing_a_paid_voucher_with_an_expiry_is_refused_with_the_reason(client, operator):
    paid = {**STEP1, "kind": "paid", "face_value_twd": "1500"}
    response = client.post(reverse("admin:vouchers_voucherdefinition_wizard_new"), {**paid, "_next": "1"})
    assert response.status_code == 302
    definition = D.objects.get()
    for step, data in ((2, STEP2), (3, STEP3), (4, STEP4)):
        client.post(step_url(definition, step), {**data, "_next": "1"})
    review = reverse("admin:vouchers_voucherdefinition_review", args=[definition.pk])
    response = client.post(review, {"_publish": "1"})
    assert response.status_code == 200
    assert "禮券" in response.context["publish_error"]
    assert "禮券" in response.content.decode()
    definition.refresh_from_db()
    assert definition.status == D.Status.DRAFT


def test_publishing_a_free_voucher_with_an_expiry_is_allowed(settings, client, operator):
    definition, response = walk_to_review(client)
    client.post(response["Location"], {"_publish": "1"})
    definition.refresh_from_db()
    assert definition.status == D.Status.PUBLISHED and definition.validity_days == 90


def test_live_preview_renders_the_owner_card_from_typed_values(client, operator):
    definition, _response = walk_to_review(client)
    url = reverse("admin:vouchers_voucherdefinition_preview", args=[definition.pk])
    response = client.post(url, {**STEP4, "card_title": "全新標題", "card_colour": "#123456"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'class="voucher-card' in html and "全新標題" in html and "#123456" in html
    definition.refresh_from_db()
    assert definition.card_title == "春季洗車禮"  # nothing saved
    page = client.get(step_url(definition, 4)).content.decode()
    assert 'id="card-preview"' in page and "春季洗車禮" in page and "css/card.css" in page


def test_fields_that_change_what_owners_hold_are_read_only_once_issued(client, operator):
    model = VehicleModelFactory()
    definition = DefinitionFactory(wizard_step=4)
    definition.allowed_models.add(model)
    issue_voucher(definition, vehicle=OwnedVehicleFactory(model=model))
    response = client.get(step_url(definition, 1))
    form = response.context["form"]
    assert form.fields["uses_per_voucher"].disabled and form.fields["validity_policy"].disabled
    assert not form.fields["name"].disabled
    assert 'class="wizard-locked-note"' in response.content.decode()
    # A forged POST cannot change a frozen field: the disabled field keeps its value.
    data = {**STEP1, "code": definition.code, "name": "Renamed", "uses_per_voucher": "9", "_next": "1"}
    response = client.post(step_url(definition, 1), data)
    definition.refresh_from_db()
    assert definition.name == "Renamed" and definition.uses_per_voucher == 1
    # Issue rules stay editable.
    response = client.post(step_url(definition, 2), {**STEP2, "stock_total": "100", "_next": "1"})
    definition.refresh_from_db()
    assert definition.stock_total == 100


def test_the_service_refuses_to_change_a_frozen_field():
    definition = DefinitionFactory()
    issue_voucher(definition, vehicle=OwnedVehicleFactory())
    with pytest.raises(DefinitionFieldsLocked):
        definition_save_step(
            definition=definition,
            step=3,
            values={"activation_mode": "operations", "activation_requires_verified_identity": False},
        )
    saved = definition_save_step(definition=definition, step=4, values={"card_title": "OK"})
    assert saved.card_title == "OK"


def test_definition_page_counts_vouchers_by_state_and_redemptions(client, operator):
    definition = DefinitionFactory()
    for _ in range(3):
        issue_voucher(definition, vehicle=OwnedVehicleFactory())
    response = client.get(reverse("admin:vouchers_voucherdefinition_change", args=[definition.pk]))
    by_state = {value: count for value, _label, count in response.context["by_state"]}
    assert by_state["active"] == 3 and by_state["used"] == 0
    assert len(response.context["by_month"]) == 12


def test_definition_list_filters(client, operator):
    DefinitionFactory(name="Claimable", channel_claim=True, channel_manual=False, category="tyre")
    DefinitionFactory(name="Manual only", channel_claim=False, category="wash")
    url = reverse("admin:vouchers_voucherdefinition_changelist")
    for query, expected in (
        ("channel=claim", {"Claimable"}),
        ("category__exact=wash", {"Manual only"}),
        ("status__exact=draft", set()),
        ("kind__exact=complimentary", {"Claimable", "Manual only"}),
    ):
        names = {d.name for d in client.get(f"{url}?{query}").context["cl"].result_list}
        assert names == expected, query


def test_finance_cannot_open_the_wizard(client):
    client.force_login(staff_user("Finance", username="fin-wizard"))
    definition = DefinitionFactory()
    assert client.get(reverse("admin:vouchers_voucherdefinition_wizard_new")).status_code == 403
    assert client.post(step_url(definition, 1), {**STEP1, "_next": "1"}).status_code == 403
    assert (
        client.get(reverse("admin:vouchers_voucherdefinition_change", args=[definition.pk])).status_code
        == 200
    )


def test_a_published_definition_opens_at_any_step_a_draft_only_in_order(client, operator):
    published = DefinitionFactory()  # made outside the wizard: no step recorded
    assert client.get(step_url(published, 3)).status_code == 200
    draft = DefinitionFactory(status=D.Status.DRAFT, wizard_step=1)
    response = client.get(step_url(draft, 4))
    assert response.status_code == 302 and response["Location"] == step_url(draft, 2)


@pytest.mark.parametrize(
    ("field", "value"),
    [("validity_days", "2147483647"), ("validity_days", "3000000"), ("warn_days", "99999999")],
)
def test_day_counts_beyond_any_calendar_are_refused_on_the_form(client, operator, field, value):
    """Saved, they made the definition's page, its review and its card preview answer 500
    (a date past the year 9999)."""
    response = client.post(
        reverse("admin:vouchers_voucherdefinition_wizard_new"), {**STEP1, field: value, "_next": "1"}
    )
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not D.objects.filter(code="spring-wash").exists()


def test_the_longest_day_counts_allowed_still_show_the_definition(client, operator):
    from vouchers.admin.wizard_forms import MAX_VALIDITY_DAYS, MAX_WARN_DAYS

    data = {**STEP1, "validity_days": str(MAX_VALIDITY_DAYS), "warn_days": str(MAX_WARN_DAYS)}
    response = client.post(reverse("admin:vouchers_voucherdefinition_wizard_new"), {**data, "_next": "1"})
    assert response.status_code == 302
    definition = D.objects.get(code="spring-wash")
    assert (
        client.get(reverse("admin:vouchers_voucherdefinition_change", args=[definition.pk])).status_code
        == 200
    )
    assert client.get(step_url(definition, 2)).status_code == 200
