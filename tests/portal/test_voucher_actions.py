"""Activating a voucher and asking for a refund from its page: services decide, pages tell."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from redemption.services import redemption_redeem
from tests.factories import DealerFactory, DefinitionFactory, MemberFactory, issue_voucher
from tests.translation_support import zh_hant_entries
from vehicles.services import vehicle_authorise_driver
from vouchers.models import LedgerEntry, RefundRequest, Voucher, VoucherDefinition
from vouchers.services import refund_reject

from .conftest import TOKEN, english_client, page_messages, sign_in

pytestmark = pytest.mark.django_db
Mode = VoucherDefinition.ActivationMode
Holder = VoucherDefinition.HolderType


def _post(client, name, voucher, **data):
    data.setdefault("idempotency_key", TOKEN)
    return client.post(reverse(name, args=[voucher.pk]), data, follow=True)


def _holder_activated(**kwargs):
    return DefinitionFactory(activation_mode=Mode.HOLDER, **kwargs)


def test_activate_a_holder_activated_voucher(owner, car, owner_client):
    voucher = issue_voucher(_holder_activated(), vehicle=car)
    page = owner_client.get(reverse("portal:voucher", args=[voucher.pk])).content.decode()
    assert 'data-test="activate"' in page

    response = _post(owner_client, "portal:voucher_activate", voucher)

    voucher.refresh_from_db()
    assert voucher.status == Voucher.Status.ACTIVE
    entry = voucher.ledger.get(kind=LedgerEntry.Kind.ACTIVATED)
    assert entry.idempotency_key == f"portal:{owner.pk}:{TOKEN}"
    assert entry.actor_label == f"owner:{owner.pk}"
    assert "The voucher is activated and ready to use." in page_messages(response)
    assert response.context["qr"] is not None


def test_a_double_submitted_activation_changes_nothing_the_second_time(owner, car, owner_client):
    voucher = issue_voucher(_holder_activated(), vehicle=car)
    _post(owner_client, "portal:voucher_activate", voucher)
    response = _post(owner_client, "portal:voucher_activate", voucher)
    assert voucher.ledger.filter(kind=LedgerEntry.Kind.ACTIVATED).count() == 1
    assert not [m for m in response.context["messages"] if m.level_tag == "error"]


def test_activation_needing_a_verified_identity_is_refused_and_says_so(owner, car, owner_client):
    voucher = issue_voucher(_holder_activated(activation_requires_verified_identity=True), vehicle=car)
    page = owner_client.get(reverse("portal:voucher", args=[voucher.pk])).content.decode()
    assert 'data-test="identity-notice"' in page

    response = _post(owner_client, "portal:voucher_activate", voucher)

    voucher.refresh_from_db()
    assert voucher.status == Voucher.Status.INACTIVE
    html = response.content.decode()
    assert "code-identity_not_verified" in html
    assert "Activating this voucher needs a verified identity." in html
    assert 'role="alert"' in html


def test_a_verified_owner_activates_an_identity_voucher(owner, car, owner_client):
    owner.identity_verified = True
    owner.save()
    voucher = issue_voucher(_holder_activated(activation_requires_verified_identity=True), vehicle=car)
    _post(owner_client, "portal:voucher_activate", voucher)
    voucher.refresh_from_db()
    assert voucher.status == Voucher.Status.ACTIVE


def test_a_voucher_activated_by_operations_cannot_be_activated_by_the_owner(owner, car, owner_client):
    voucher = issue_voucher(DefinitionFactory(activation_mode=Mode.OPERATIONS), vehicle=car)
    page = owner_client.get(reverse("portal:voucher", args=[voucher.pk])).content.decode()
    assert 'data-test="activate"' not in page
    response = _post(owner_client, "portal:voucher_activate", voucher)
    voucher.refresh_from_db()
    assert voucher.status == Voucher.Status.INACTIVE
    assert "code-activation_not_allowed" in response.content.decode()


def test_an_action_without_its_form_token_is_refused(owner, car, owner_client):
    voucher = issue_voucher(_holder_activated(), vehicle=car)
    response = _post(owner_client, "portal:voucher_activate", voucher, idempotency_key="short")
    voucher.refresh_from_db()
    assert voucher.status == Voucher.Status.INACTIVE
    assert "code-form_expired" in response.content.decode()


def _refundable(car, **kwargs):
    return issue_voucher(
        DefinitionFactory(refundable=True, face_value_twd=1500, uses_per_voucher=2, **kwargs), vehicle=car
    )


def test_refund_request_locks_the_voucher_and_the_page_shows_its_state(owner, car, owner_client):
    voucher = _refundable(car)

    response = _post(owner_client, "portal:voucher_refund", voucher, confirm="yes", reason="Sold the car")

    voucher.refresh_from_db()
    refund = RefundRequest.objects.get()
    assert voucher.status == Voucher.Status.LOCKED
    assert (refund.member, refund.reason, refund.status) == (
        owner,
        "Sold the car",
        RefundRequest.Status.PENDING,
    )
    html = response.content.decode()
    assert "Waiting for operations" in html and "NT$1,500" in html
    assert 'data-test="request-refund"' not in html
    assert response.context["qr"] is None


def test_a_double_submitted_refund_request_creates_one_request(owner, car, owner_client):
    voucher = _refundable(car)
    _post(owner_client, "portal:voucher_refund", voucher, confirm="yes")
    _post(owner_client, "portal:voucher_refund", voucher, confirm="yes")
    assert RefundRequest.objects.count() == 1


def test_the_owner_sees_the_decision(owner, car, owner_client):
    voucher = _refundable(car)
    _post(owner_client, "portal:voucher_refund", voucher, confirm="yes")
    refund_reject(refund=RefundRequest.objects.get(), actor=None, reason="Used at the counter on paper")
    html = owner_client.get(reverse("portal:voucher", args=[voucher.pk])).content.decode()
    assert "Rejected" in html and "Used at the counter on paper" in html


def test_when_a_refund_was_asked_and_decided_reads_as_whole_sentences(owner, car, owner_client):
    voucher = _refundable(car)
    _post(owner_client, "portal:voucher_refund", voucher, confirm="yes")
    refund = RefundRequest.objects.get()
    refund_reject(refund=refund, actor=None, reason="Used")
    refund.refresh_from_db()
    client = sign_in(Client(headers={"accept-language": "zh-Hant"}), owner)
    sentences = {"requested %(date)s": "%(date)s 提出申請", "decided %(date)s": "%(date)s 完成審核"}
    with zh_hant_entries(sentences):
        html = client.get(reverse("portal:voucher", args=[voucher.pk])).content.decode()
    for moment, ending in ((refund.created_at, "提出申請"), (refund.decided_at, "完成審核")):
        assert f"{timezone.localtime(moment):%Y-%m-%d %H:%M} {ending}" in html


def test_a_voucher_that_does_not_allow_refunds_is_refused(owner, car, owner_client):
    voucher = issue_voucher(DefinitionFactory(refundable=False), vehicle=car)
    page = owner_client.get(reverse("portal:voucher", args=[voucher.pk])).content.decode()
    assert 'data-test="request-refund"' not in page
    response = _post(owner_client, "portal:voucher_refund", voucher, confirm="yes")
    assert "code-refund_not_allowed" in response.content.decode()
    assert not RefundRequest.objects.exists()


def test_a_partly_used_voucher_cannot_be_refunded(owner, car, owner_client):
    voucher = _refundable(car)
    redemption_redeem(voucher=voucher, vehicle=car, dealer=DealerFactory(), idempotency_key="u")
    response = _post(owner_client, "portal:voucher_refund", voucher, confirm="yes")
    assert "code-refund_not_allowed" in response.content.decode()
    voucher.refresh_from_db()
    assert voucher.status == Voucher.Status.ACTIVE


def test_a_driver_cannot_ask_for_the_refund_of_the_cars_voucher(owner, car):
    driver = MemberFactory()
    vehicle_authorise_driver(vehicle=car, member=driver)
    voucher = _refundable(car)
    client = sign_in(english_client(), driver)
    page = client.get(reverse("portal:voucher", args=[voucher.pk])).content.decode()
    assert 'data-test="request-refund"' not in page
    assert "Only the vehicle's owner can ask for a refund" in page

    response = _post(client, "portal:voucher_refund", voucher, confirm="yes")

    assert "code-refund_not_yours" in response.content.decode()
    assert not RefundRequest.objects.exists()


def test_a_member_refunds_their_own_member_voucher(owner, owner_client):
    voucher = issue_voucher(DefinitionFactory(refundable=True, holder_type=Holder.MEMBER), member=owner)
    _post(owner_client, "portal:voucher_refund", voucher, confirm="yes")
    voucher.refresh_from_db()
    assert voucher.status == Voucher.Status.LOCKED
