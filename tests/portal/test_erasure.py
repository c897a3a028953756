"""Erasure of an owner's personal data: asked for in the portal, carried out by operations in the
back office; ledgers and money records stay intact and reconcile, the person can no longer sign in."""

from io import StringIO

import pytest
from django.contrib.admin.models import LogEntry
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from campaigns.exceptions import NotificationTextCleared
from campaigns.models import Notification
from campaigns.services import notification_queue, notification_retry
from members.exceptions import ErasureRequestNotPending, MemberErased
from members.models import ConsentChange, ErasureRequest, Member
from members.services import erasure_request_create, erasure_request_refuse, member_update_preferences
from portal.auth import MEMBER_KEY
from portal.models import LoginCode
from portal.services import login_code_request, member_erase
from redemption.models import Redemption
from redemption.services import redemption_redeem
from tests.factories import DealerFactory, DefinitionFactory, UserFactory, VehicleFactory, issue_voucher
from tests.factories.staff import staff_user, use_english
from vehicles.models import BindingRequest, Ownership
from vouchers.models import LedgerEntry, RefundRequest, Voucher
from vouchers.services import voucher_refund_request

from .conftest import TOKEN, english_client, latest_code, page_messages, sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(owner, car):
    """An owner with a used voucher, an open refund request, a member voucher and messages."""
    dealer = DealerFactory()
    used = issue_voucher(DefinitionFactory(uses_per_voucher=2), vehicle=car)
    redemption_redeem(voucher=used, vehicle=car, dealer=dealer, idempotency_key="counter-1")
    refunded = issue_voucher(DefinitionFactory(holder_type="member", refundable=True), member=owner)
    voucher_refund_request(voucher=refunded, member=owner, reason="moving abroad")
    reminder, _ = notification_queue(
        channel="sms",
        recipient=owner.phone,
        purpose=Notification.Purpose.EXPIRY_REMINDER,
        body=f"{owner.name}, your voucher expires soon",
        dedup_key="reminder-1",
        member=owner,
    )
    Notification.objects.filter(pk=reminder.pk).update(
        status=Notification.Status.SENT, sent_at=reminder.created_at
    )
    later, _ = notification_queue(
        channel="sms",
        recipient=owner.phone,
        purpose=Notification.Purpose.SERVICE_REMINDER,
        body=f"{owner.name}, your car is due",
        dedup_key="reminder-2",
        member=owner,
    )
    return {"used": used, "refunded": refunded, "sent": reminder, "pending": later}


def erase(owner, *, actor=None, reason="owner asked in the portal"):
    request, _ = erasure_request_create(member=owner)
    return member_erase(erasure_request=request, actor=actor, reason=reason)


def test_erasure_keeps_vouchers_ledgers_and_money_records_and_they_still_reconcile(owner, car, history):
    ledger_before = list(LedgerEntry.objects.order_by("pk").values_list("pk", "kind", "delta", "voucher_id"))

    erase(owner, actor=UserFactory())

    assert (
        list(LedgerEntry.objects.order_by("pk").values_list("pk", "kind", "delta", "voucher_id"))
        == ledger_before
    )
    assert Voucher.objects.filter(member=owner).count() == 1
    assert Redemption.objects.filter(voucher=history["used"]).count() == 1
    assert RefundRequest.objects.get(voucher=history["refunded"]).member_id == owner.pk
    assert Ownership.objects.current().get(vehicle=car).member_id == owner.pk
    out = StringIO()
    call_command("reconcile_ledger", stdout=out)  # raises CommandError on any drift
    assert "drifting from the ledger: 0" in out.getvalue()


def test_erasure_clears_the_outbox_text_and_addresses_and_skips_what_was_not_sent(owner, history):
    erase(owner)
    sent, pending = (Notification.objects.get(pk=history[k].pk) for k in ("sent", "pending"))
    assert (sent.body, sent.recipient, sent.status) == ("", "", "sent")
    assert (pending.body, pending.recipient, pending.status) == ("", "", "skipped")
    assert pending.skip_reason == "member erased"
    assert not Notification.objects.filter(body__contains="王小明").exists()
    with pytest.raises(NotificationTextCleared):
        notification_retry(notification=pending)


def test_erasure_withdraws_consents_and_keeps_the_consent_history(owner):
    member_update_preferences(member=owner, source="portal", consent_marketing=True)
    erase(owner)
    kinds = list(ConsentChange.objects.filter(member=owner).values_list("source", "kind", "new_value"))
    assert ("portal", "marketing", "True") in kinds
    assert ("erasure", "marketing", "False") in kinds and ("erasure", "service", "False") in kinds


def test_erasure_deletes_sign_in_codes_and_forgets_the_number_on_sales_records(owner, one_rate_limit_window):
    phone = owner.phone
    login_code_request(phone=phone, client_ip="203.0.113.5")
    sold = VehicleFactory(registered_owner_phone=phone)
    erase(owner)
    assert not LoginCode.objects.filter(phone=phone).exists()
    assert not Notification.objects.filter(recipient=phone).exists()
    sold.refresh_from_db()
    assert sold.registered_owner_phone == ""


def test_erasure_rejects_pending_binding_requests(owner):
    binding = BindingRequest.objects.create(member=owner, vin="WDD2050421R123456", plate="ABC-1234")
    erase(owner)
    binding.refresh_from_db()
    assert binding.status == BindingRequest.Status.REJECTED


def test_the_erased_owners_session_ends_and_the_number_starts_a_new_empty_account(
    owner, car, one_rate_limit_window
):
    phone = owner.phone
    client = sign_in(english_client(), owner)
    assert client.get(reverse("portal:home")).status_code == 200

    erase(owner)

    response = client.get(reverse("portal:home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("portal:sign_in"))
    assert MEMBER_KEY not in client.session
    fresh = english_client()
    fresh.post(reverse("portal:sign_in"), {"phone": phone})
    fresh.post(reverse("portal:sign_in_code"), {"code": latest_code(phone)})
    newcomer = Member.objects.get(phone=phone)
    assert fresh.session[MEMBER_KEY] == newcomer.pk != owner.pk
    assert not Ownership.objects.filter(member=newcomer).exists()


def test_carrying_out_twice_or_after_a_refusal_is_refused(owner):
    request, _ = erasure_request_create(member=owner)
    member_erase(erasure_request=request, actor=None, reason="asked")
    with pytest.raises(ErasureRequestNotPending):
        member_erase(erasure_request=request, actor=None, reason="again")
    with pytest.raises(MemberErased):
        erasure_request_create(member=owner)


def test_a_refused_request_cannot_be_carried_out(owner):
    request, _ = erasure_request_create(member=owner)
    erasure_request_refuse(erasure_request=request, actor=None, reason="open dispute")
    with pytest.raises(ErasureRequestNotPending):
        member_erase(erasure_request=request, actor=None, reason="asked")
    owner.refresh_from_db()
    assert owner.erased_at is None and owner.name == "王小明"


def test_the_pseudonym_is_written_in_the_default_language(owner, settings):
    settings.LANGUAGE_CODE = "zh-hant"
    with translation.override("en"):
        erased = erase(owner)
    assert erased.name == f"已刪除會員 #{owner.pk}"


# --- The owner's pages ---------------------------------------------------------------------------


def test_the_confirmation_page_explains_what_goes_and_what_stays(owner_client):
    response = owner_client.get(reverse("portal:erasure_request"))
    text = response.content.decode()
    assert response.status_code == 200
    assert "What will be removed" in text and "What must be kept, and why" in text
    assert "accounting and tax law" in text and "Personal Data Protection Act" in text
    assert not ErasureRequest.objects.exists()  # looking is not asking


def test_asking_needs_the_box_ticked(owner_client, owner):
    response = owner_client.post(reverse("portal:erasure_request"), {"idempotency_key": TOKEN})
    assert response.status_code == 200
    assert "Please tick the box to confirm." in response.content.decode()
    assert not ErasureRequest.objects.filter(member=owner).exists()


def test_asking_records_one_request_and_the_owner_sees_its_status(owner_client, owner):
    data = {"understood": "on", "idempotency_key": TOKEN}
    first = owner_client.post(reverse("portal:erasure_request"), data, follow=True)
    second = owner_client.post(reverse("portal:erasure_request"), data, follow=True)

    assert ErasureRequest.objects.filter(member=owner).count() == 1
    assert "Your request is recorded. Our service team will carry it out." in page_messages(first)
    assert "You have already asked for erasure; your request is waiting." in page_messages(second)
    page = owner_client.get(reverse("portal:personal_data")).content.decode()
    assert 'data-test="erasure-pending"' in page and "Waiting for operations" in page


def test_the_owner_sees_a_refusal_and_its_reason(owner_client, owner):
    request, _ = erasure_request_create(member=owner)
    erasure_request_refuse(erasure_request=request, actor=None, reason="A refund is still being decided.")
    page = owner_client.get(reverse("portal:personal_data")).content.decode()
    assert "Refused: A refund is still being decided." in page
    assert 'data-test="ask-erasure"' in page


def test_another_owners_request_is_not_shown(owner_client, other):
    erasure_request_create(member=other)
    page = owner_client.get(reverse("portal:personal_data")).content.decode()
    assert 'data-test="erasure-requests"' not in page


# --- The back office -------------------------------------------------------------------------------


@pytest.fixture
def operator(client, settings):
    use_english(settings)
    user = staff_user("Operations", username="ops-erasure")
    client.force_login(user)
    return user


def test_operations_erase_with_a_reason_and_an_admin_log_entry(client, operator, owner, history):
    request, _ = erasure_request_create(member=owner)
    url = reverse("admin:members_erasurerequest_erase", args=[request.pk])
    assert "This cannot be undone." in client.get(url).content.decode()

    response = client.post(url, {"reason": "Owner's request of 6 Dec, identity checked"})

    assert response.status_code == 302
    owner.refresh_from_db()
    assert owner.erased_at is not None and owner.name == f"Erased member #{owner.pk}"
    request.refresh_from_db()
    assert (request.status, request.decided_by) == ("completed", operator)
    log = LogEntry.objects.get(object_id=str(request.pk))
    assert "Owner's request of 6 Dec" in log.get_change_message()


def test_operations_refuse_with_a_reason(client, operator, owner):
    request, _ = erasure_request_create(member=owner)
    response = client.post(
        reverse("admin:members_erasurerequest_refuse", args=[request.pk]), {"reason": "open dispute"}
    )
    assert response.status_code == 302
    request.refresh_from_db()
    assert (request.status, request.decision_reason) == ("refused", "open dispute")


def test_a_decided_request_shows_the_refusal_on_the_form_and_logs_nothing(client, operator, owner):
    request, _ = erasure_request_create(member=owner)
    erasure_request_refuse(erasure_request=request, actor=operator, reason="dispute")
    response = client.post(reverse("admin:members_erasurerequest_erase", args=[request.pk]), {"reason": "x"})
    assert response.status_code == 200
    assert "This erasure request has already been decided." in response.content.decode()
    assert not LogEntry.objects.exists()
    owner.refresh_from_db()
    assert owner.erased_at is None


def test_a_reason_is_required(client, operator, owner):
    request, _ = erasure_request_create(member=owner)
    response = client.post(reverse("admin:members_erasurerequest_erase", args=[request.pk]), {"reason": " "})
    assert response.status_code == 200
    owner.refresh_from_db()
    assert owner.erased_at is None


def test_staff_without_the_permission_cannot_erase(client, owner, settings):
    use_english(settings)
    client.force_login(staff_user("Finance", username="finance-erasure"))
    request, _ = erasure_request_create(member=owner)
    response = client.post(reverse("admin:members_erasurerequest_erase", args=[request.pk]), {"reason": "x"})
    assert response.status_code == 403
    owner.refresh_from_db()
    assert owner.erased_at is None


def test_an_erased_member_is_read_only_in_the_back_office(client, operator, owner):
    erase(owner)
    page = client.get(reverse("admin:members_member_change", args=[owner.pk]))
    assert page.status_code == 200
    client.post(
        reverse("admin:members_member_change", args=[owner.pk]), {"name": "王小明", "phone": "0912-345-678"}
    )
    owner.refresh_from_db()
    assert owner.name != "王小明" and owner.phone == ""


def test_the_queue_lists_pending_requests_first(client, operator, owner, other):
    decided, _ = erasure_request_create(member=other)
    erasure_request_refuse(erasure_request=decided, actor=None, reason="dispute")
    pending, _ = erasure_request_create(member=owner)
    response = client.get(reverse("admin:members_erasurerequest_changelist"))
    assert response.status_code == 200
    assert [r.pk for r in response.context["cl"].result_list] == [pending.pk, decided.pk]


def test_operations_record_a_request_made_by_phone_into_the_same_queue(client, operator, owner):
    url = reverse("admin:members_member_erasure_request", args=[owner.pk])
    page = client.get(reverse("admin:members_member_change", args=[owner.pk])).content.decode()
    assert url in page

    response = client.post(url, {"reason": "Owner phoned on 6 Dec; identity checked"})

    request = ErasureRequest.objects.get(member=owner)
    assert (request.status, request.source) == ("pending", "back office")
    assert response["Location"] == reverse("admin:members_erasurerequest_change", args=[request.pk])
    client.post(url, {"reason": "again"})
    assert ErasureRequest.objects.filter(member=owner).count() == 1


def test_recording_a_request_for_an_erased_member_is_refused_on_the_form(client, operator, owner):
    erase(owner)
    response = client.post(reverse("admin:members_member_erasure_request", args=[owner.pk]), {"reason": "x"})
    assert response.status_code == 200
    assert "personal data has already been erased." in response.content.decode()
    assert ErasureRequest.objects.filter(member=owner).count() == 1
