"""Manual actions on vouchers and the refund queue: reason required, service called, ledger and
admin log written, a refusal shown on the form and never after a success message."""

from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from tests.factories import DefinitionFactory, OwnedVehicleFactory, issue_voucher
from tests.factories.staff import staff_user, use_english
from tests.translation_support import zh_hant_entries
from vouchers.models import LedgerEntry, RefundRequest, Voucher
from vouchers.services import voucher_refund_request

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(settings):
    use_english(settings)


@pytest.fixture
def operator(client):
    user = staff_user("Operations", username="ops-actions")
    client.force_login(user)
    return user


def action(voucher, name):
    return reverse("admin:vouchers_voucher_action", args=[voucher.pk, name])


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.mark.parametrize(
    ("name", "start", "data", "status_after", "kind"),
    [
        ("activate", "inactive", {}, "active", "activated"),
        ("void", "active", {}, "voided", "voided"),
        ("lock", "active", {}, "locked", "locked"),
        ("extend", "active", {"valid_until": "2099-12-31"}, "active", "extended"),
    ],
)
def test_action_lands_in_the_ledger_and_the_admin_log(
    client, operator, name, start, data, status_after, kind
):
    mode = "operations" if start == "inactive" else "automatic"
    voucher = issue_voucher(DefinitionFactory(activation_mode=mode), vehicle=OwnedVehicleFactory())
    assert voucher.status == start
    response = client.post(action(voucher, name), {**data, "reason": "customer called"})
    assert response.status_code == 302
    voucher.refresh_from_db()
    assert voucher.status == status_after
    entry = LedgerEntry.objects.filter(voucher=voucher).latest("pk")
    assert (entry.kind, entry.reason, entry.actor) == (kind, "customer called", operator)
    log = LogEntry.objects.get(object_id=str(voucher.pk), user=operator)
    assert "customer called" in log.change_message
    if name == "extend":
        assert timezone.localtime(voucher.valid_until).date().isoformat() == "2099-12-31"


def test_unlock_returns_a_locked_voucher(client, operator):
    voucher = issue_voucher(vehicle=OwnedVehicleFactory())
    client.post(action(voucher, "lock"), {"reason": "dispute"})
    client.post(action(voucher, "unlock"), {"reason": "dispute settled"})
    voucher.refresh_from_db()
    assert voucher.status == "active"
    assert list(LedgerEntry.objects.filter(voucher=voucher).values_list("kind", flat=True)) == [
        "issued",
        "locked",
        "unlocked",
    ]


def test_a_reason_is_required(client, operator):
    voucher = issue_voucher(vehicle=OwnedVehicleFactory())
    response = client.post(action(voucher, "void"), {"reason": "   "})
    assert response.status_code == 200 and "reason" in response.context["form"].errors
    voucher.refresh_from_db()
    assert voucher.status == "active"


def test_a_service_refusal_is_shown_on_the_form_not_as_success(client, operator):
    voucher = issue_voucher(vehicle=OwnedVehicleFactory())
    first = client.post(action(voucher, "void"), {"reason": "mistake"}, follow=True)
    assert any("done" in m for m in messages_of(first))
    response = client.post(action(voucher, "void"), {"reason": "again"})  # a double submit
    assert response.status_code == 200
    errors = str(response.context["form"].non_field_errors())
    assert "Voided" in errors and "not possible" in errors
    assert not any("done" in m for m in messages_of(response))
    assert LedgerEntry.objects.filter(voucher=voucher, kind="voided").count() == 1
    assert LogEntry.objects.filter(object_id=str(voucher.pk)).count() == 1

    response = client.post(
        action(voucher := issue_voucher(vehicle=OwnedVehicleFactory()), "extend"),
        {"valid_until": (timezone.localdate() - timedelta(days=1)).isoformat(), "reason": "x"},
    )
    assert "valid_until" in response.context["form"].errors
    response = client.post(action(voucher, "activate"), {"reason": "x"})  # already active
    assert response.status_code == 200 and response.context["form"].non_field_errors()


def test_voucher_page_offers_only_the_actions_its_state_allows(client, operator):
    voucher = issue_voucher(vehicle=OwnedVehicleFactory())
    tools = dict(
        client.get(reverse("admin:vouchers_voucher_change", args=[voucher.pk])).context["voucher_tools"]
    )
    labels = {str(label) for label in tools}
    assert {"Void", "Lock", "Extend validity", "Redeem for a dealer"} <= labels
    assert "Activate" not in labels and "Unlock" not in labels


def test_state_fields_are_read_only_and_vouchers_cannot_be_added_or_deleted(client, operator):
    voucher = issue_voucher(vehicle=OwnedVehicleFactory())
    response = client.post(reverse("admin:vouchers_voucher_change", args=[voucher.pk]), {"status": "used"})
    assert response.status_code == 403
    assert client.get(reverse("admin:vouchers_voucher_add")).status_code == 403
    assert (
        client.post(reverse("admin:vouchers_voucher_delete", args=[voucher.pk]), {"post": "yes"}).status_code
        == 403
    )
    voucher.refresh_from_db()
    assert voucher.status == "active"


def _refund(refundable=True):
    definition = DefinitionFactory(refundable=refundable, face_value_twd=800)
    voucher = issue_voucher(definition, vehicle=OwnedVehicleFactory())
    return voucher_refund_request(voucher=voucher, member=None, reason="moving abroad")


def test_refund_queue_lists_pending_first(client, operator):
    decided = _refund()
    decided.status = RefundRequest.Status.REJECTED
    decided.save()
    pending = _refund()
    rows = list(client.get(reverse("admin:vouchers_refundrequest_changelist")).context["cl"].result_list)
    assert rows[0] == pending


@pytest.mark.parametrize(
    ("decision", "voucher_status", "kind"),
    [("approve", "refunded", "refund_approved"), ("reject", "active", "refund_rejected")],
)
def test_refund_decisions(client, operator, decision, voucher_status, kind):
    refund = _refund()
    url = reverse("admin:vouchers_refundrequest_decide", args=[refund.pk, decision])
    response = client.post(url, {"reason": "checked the invoice"})
    assert response.status_code == 302
    refund.refresh_from_db()
    voucher = Voucher.objects.get(pk=refund.voucher_id)
    assert voucher.status == voucher_status and refund.decided_by == operator
    assert LedgerEntry.objects.filter(voucher=voucher, kind=kind, reason="checked the invoice").exists()
    assert LogEntry.objects.filter(object_id=str(refund.pk)).exists()
    response = client.post(url, {"reason": "twice"})
    assert response.status_code == 200 and response.context["form"].non_field_errors()


def test_a_voucher_waiting_for_a_refund_offers_the_decision_not_unlock(client, operator):
    refund = _refund()
    page = client.get(reverse("admin:vouchers_voucher_change", args=[refund.voucher_id]))
    tools = {str(label): url for label, url in page.context["voucher_tools"]}
    assert "Unlock" not in tools
    assert tools["Decide the refund request"] == reverse(
        "admin:vouchers_refundrequest_change", args=[refund.pk]
    )


ZH = {"accept-language": "zh-Hant"}
SENTENCES = {
    "%(action)s — %(code)s": "%(action)s：票券 %(code)s",
    "%(action)s. Reason: %(reason)s": "已%(action)s，原因：%(reason)s",
    "%(action)s → %(date)s. Reason: %(reason)s": "已%(action)s至 %(date)s，原因：%(reason)s",
}


def test_an_action_page_title_is_one_translatable_sentence(client, operator):
    voucher = issue_voucher(vehicle=OwnedVehicleFactory())
    with zh_hant_entries(SENTENCES):
        page = client.get(action(voucher, "void"), headers=ZH).content.decode()
    assert f"：票券 {voucher.code_display}" in page


@pytest.mark.parametrize(
    ("name", "data", "ending"),
    [
        ("void", {}, "，原因：called"),
        ("extend", {"valid_until": "2099-12-31"}, "至 2099-12-31，原因：called"),
    ],
)
def test_the_admin_log_of_an_action_is_one_translatable_sentence(client, operator, name, data, ending):
    voucher = issue_voucher(vehicle=OwnedVehicleFactory())
    with zh_hant_entries(SENTENCES):
        response = client.post(action(voucher, name), {**data, "reason": "called"}, headers=ZH)
    assert response.status_code == 302
    log = LogEntry.objects.get(object_id=str(voucher.pk), user=operator)
    assert log.change_message.startswith("已") and log.change_message.endswith(ending), log.change_message


def test_the_admin_log_of_a_refund_decision_is_one_translatable_sentence(client, operator):
    refund = _refund()
    url = reverse("admin:vouchers_refundrequest_decide", args=[refund.pk, "reject"])
    with zh_hant_entries(SENTENCES):
        assert client.post(url, {"reason": "checked"}, headers=ZH).status_code == 302
    log = LogEntry.objects.get(object_id=str(refund.pk), user=operator)
    assert log.change_message.startswith("已") and log.change_message.endswith("，原因：checked")
