"""Operations' pages: campaigns with dry run and results, outbox, message templates."""

import pytest
from django.urls import reverse

from campaigns.models import (
    Campaign,
    EventIssuance,
    MessageTemplate,
    Notification,
    Programme,
    Segment,
)
from campaigns.services import notification_queue
from tests.factories import DefinitionFactory, MemberFactory, OwnedVehicleFactory, UserFactory
from tests.translation_support import zh_hant_entries

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(client):
    user = UserFactory(username="ops", is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


@pytest.fixture
def campaign(db):
    for _ in range(3):
        OwnedVehicleFactory(owner=MemberFactory(consent_marketing=True))
    return Campaign.objects.create(
        name="冬季保養",
        segment=Segment.objects.create(name="all"),
        message_zh_hant="{{ name }}：冬季保養 {{ plate }}",
    )


def test_campaign_pages_render(client, operator, campaign):
    assert client.get(reverse("admin:campaigns_campaign_changelist")).status_code == 200
    assert client.get(reverse("admin:campaigns_campaign_add")).status_code == 200
    page = client.get(reverse("admin:campaigns_campaign_change", args=[campaign.pk]))
    assert reverse("admin:campaigns_campaign_dry_run", args=[campaign.pk]) in page.content.decode()


def test_dry_run_page_shows_the_audience_and_a_sample_then_schedules(client, operator, campaign):
    url = reverse("admin:campaigns_campaign_dry_run", args=[campaign.pk])
    page = client.get(url).content.decode()
    assert 'id="audience-vehicles">3<' in page
    assert "冬季保養" in page and page.count("<tr><td>") == 3
    assert not Notification.objects.exists()
    response = client.post(url)
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SCHEDULED


def test_schedule_refusal_is_shown_and_nothing_changes(client, operator, campaign):
    Campaign.objects.filter(pk=campaign.pk).update(message_zh_hant="")
    url = reverse("admin:campaigns_campaign_dry_run", args=[campaign.pk])
    response = client.post(url, follow=True)
    assert "Traditional Chinese" in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT


def test_a_refused_list_action_names_the_campaign_in_one_translatable_message(client, operator, campaign):
    Campaign.objects.filter(pk=campaign.pk).update(message_zh_hant="")
    with zh_hant_entries({"%(campaign)s: %(message)s": "《%(campaign)s》未排程：%(message)s"}):
        response = client.post(
            reverse("admin:campaigns_campaign_changelist"),
            {"action": "schedule", "_selected_action": [campaign.pk]},
            follow=True,
            headers={"accept-language": "zh-Hant"},
        )
    shown = [str(m) for m in response.context["messages"]]
    assert any(m.startswith("《冬季保養》未排程：") for m in shown), shown
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT


def test_results_page(client, operator, campaign):
    page = client.get(reverse("admin:campaigns_campaign_results", args=[campaign.pk])).content.decode()
    assert 'id="messages-sent">0<' in page and 'id="vouchers-redeemed">0<' in page
    assert 'id="recipients-returned">0<' in page


def test_a_running_campaign_cannot_be_edited(client, operator, campaign):
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.RUNNING)
    page = client.get(reverse("admin:campaigns_campaign_change", args=[campaign.pk])).content.decode()
    assert 'name="message_zh_hant"' not in page


def sms(purpose: str, body: str, key: str, **kwargs):
    """One SMS in the outbox, as the services write it."""
    return notification_queue(
        channel="sms", recipient="+886912345678", purpose=purpose, body=body, dedup_key=key, **kwargs
    )


def test_outbox_send_again_action(client, operator):
    failed, _ = sms("service_reminder", "x", "f", status=Notification.Status.FAILED)
    client.post(
        reverse("admin:campaigns_notification_changelist"),
        {"action": "send_again", "_selected_action": [failed.pk]},
    )
    failed.refresh_from_db()
    assert failed.status == Notification.Status.PENDING and failed.attempts == 0


def test_outbox_masks_sign_in_codes_but_shows_other_messages(client, operator):
    code, _ = sms("login_code", "驗證碼 482913，5 分鐘內有效", "c")
    reminder, _ = sms("service_reminder", "保養提醒 482913", "r")
    code_page = client.get(reverse("admin:campaigns_notification_change", args=[code.pk])).content.decode()
    reminder_page = client.get(
        reverse("admin:campaigns_notification_change", args=[reminder.pk])
    ).content.decode()
    assert "482913" not in code_page and "驗證碼 ••••••，5 分鐘內有效" in code_page
    assert "保養提醒 482913" in reminder_page


def test_outbox_send_again_leaves_sign_in_codes_alone(client, operator):
    code, _ = sms("login_code", "驗證碼 ••••••", "c", status=Notification.Status.FAILED)
    response = client.post(
        reverse("admin:campaigns_notification_changelist"),
        {"action": "send_again", "_selected_action": [code.pk]},
        follow=True,
    )
    code.refresh_from_db()
    assert code.status == Notification.Status.FAILED
    assert [m.level_tag for m in response.context["messages"]] == ["warning"]


def test_template_edit_is_validated_and_saved_with_the_editor(client, operator):
    row = MessageTemplate.objects.get(key="win_back", language="zh-hant")
    url = reverse("admin:campaigns_messagetemplate_change", args=[row.pk])
    page = client.get(url).content.decode()
    assert "{{ plate }}" in page  # the variables are listed
    response = client.post(url, {"subject": "好久不見", "body": "{% for %}"})
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    response = client.post(url, {"subject": "好久不見", "body": "{{ name }} 回來看看"})
    assert response.status_code == 302
    row.refresh_from_db()
    assert (row.body, row.updated_by) == ("{{ name }} 回來看看", operator)


@pytest.mark.parametrize("days", ["abc", "30,sixty", "99999999", "30;60", "²"])
def test_programme_days_that_the_nightly_run_cannot_use_are_refused(client, operator, days):
    """Saved, they were skipped without a word or overflowed the nightly run's date arithmetic."""
    programme = Programme.objects.get(key="win_back")
    before = programme.days
    response = client.post(
        reverse("admin:campaigns_programme_change", args=[programme.pk]),
        {"is_active": "on", "send_message": "on", "days": days},
    )
    assert response.status_code == 200 and "days" in response.context["adminform"].form.errors
    assert _save_in_the_list(client, programme, days).status_code == 200
    programme.refresh_from_db()
    assert programme.days == before


def _save_in_the_list(client, programme, days):
    return client.post(
        reverse("admin:campaigns_programme_changelist"),
        {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-0-id": programme.pk,
            "form-0-is_active": "on",
            "form-0-days": days,
            "_save": "Save",
        },
    )


def test_programme_days_are_saved_when_well_formed(client, operator):
    programme = Programme.objects.get(key="new_car_care")
    url = reverse("admin:campaigns_programme_change", args=[programme.pk])
    response = client.post(url, {"is_active": "on", "send_message": "on", "days": "30, 60,90"})
    assert response.status_code == 302
    programme.refresh_from_db()
    assert programme.days_list == [30, 60, 90]
    assert _save_in_the_list(client, programme, "45").status_code == 302
    programme.refresh_from_db()
    assert programme.days_list == [45]


def test_the_template_list_shows_editors_in_constant_queries(client, operator, django_assert_max_num_queries):
    url = reverse("admin:campaigns_messagetemplate_changelist")
    rows = list(MessageTemplate.objects.order_by("pk"))
    MessageTemplate.objects.filter(pk=rows[0].pk).update(updated_by=UserFactory())
    with django_assert_max_num_queries(20) as one_editor:
        assert client.get(url).status_code == 200
    for row in rows:
        MessageTemplate.objects.filter(pk=row.pk).update(updated_by=UserFactory())
    with django_assert_max_num_queries(len(one_editor)):
        response = client.get(url)
    assert len(response.context["cl"].result_list) == len(rows) > 10


def _add_event_rows(n):
    definition = DefinitionFactory()
    for _ in range(n):
        vehicle = OwnedVehicleFactory()
        member = vehicle.ownerships.get().member
        EventIssuance.objects.create(
            key=f"k-{vehicle.pk}",
            definition=definition,
            event="birthday",
            member=member,
            vehicle=vehicle,
            status=EventIssuance.Status.ISSUED,
        )


@pytest.mark.parametrize("name", ["campaigns_eventissuance"])
def test_lists_showing_vehicles_stay_constant(client, operator, name, django_assert_max_num_queries):
    """A vehicle reads as "plate (model)": the model must come in the same query."""
    url = reverse(f"admin:{name}_changelist")
    _add_event_rows(1)
    with django_assert_max_num_queries(20) as one:
        assert client.get(url).status_code == 200
    _add_event_rows(12)
    with django_assert_max_num_queries(len(one)):
        response = client.get(url)
    assert len(response.context["cl"].result_list) == 13
