"""The repurchase benefit (再購權益, seed 002): a member-held voucher only for members who have owned one
of our cars, now or in the past. The rule holds wherever a voucher is issued or claimed: one voucher
(back office, API, events), bulk batches, the owner's claim and the claim centre page, and the
definition wizard refuses it on a holder that is not a member."""

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation

from campaigns.services.events import event_grant
from portal.claim_centre import claim_offers
from tests.factories import (
    DefinitionFactory,
    MemberFactory,
    OwnedVehicleFactory,
    VehicleFactory,
    issue_voucher,
)
from tests.factories.staff import staff_user, use_english
from tests.portal.conftest import english_client, sign_in
from tests.redemption.api_support import client_for, make_key, post, problem
from tests.vouchers.test_admin_wizard import STEP1
from vehicles.services import vehicle_authorise_driver, vehicle_transfer_ownership
from vouchers.claims import ClaimRefusal
from vouchers.eligibility import voucher_ineligibility
from vouchers.exceptions import ClaimRefused, DefinitionFieldsLocked, HolderMissing, NotPastOwner
from vouchers.models import IssueBatch, IssueBatchRow, Voucher, VoucherDefinition
from vouchers.presentation import definition_card_preview
from vouchers.services import definition_save_step, voucher_claim, voucher_issue
from vouchers.services.bulk import issue_batch_prepare, issue_batch_process

pytestmark = pytest.mark.django_db
Holder = VoucherDefinition.HolderType
MANUAL = Voucher.Source.MANUAL


@pytest.fixture(autouse=True)
def _english(settings):
    use_english(settings)
    with translation.override("en"):
        yield


def repurchase(**kwargs):
    kwargs.setdefault("holder_type", Holder.MEMBER)
    return DefinitionFactory(code=kwargs.pop("code", "repurchase"), holder_has_owned=True, **kwargs)


@pytest.fixture
def seller():
    """A member who sold their only car: an owner no more, but a past owner."""
    car = OwnedVehicleFactory()
    member = car.ownerships.get().member
    vehicle_transfer_ownership(vehicle=car, new_owner=MemberFactory())
    return member


@pytest.fixture
def owner():
    return OwnedVehicleFactory().ownerships.get().member


@pytest.fixture
def never_owned():
    """A member who only drives someone else's car: never an owner."""
    member = MemberFactory()
    vehicle_authorise_driver(vehicle=OwnedVehicleFactory(), member=member)
    return member


# --- issuing one voucher ----------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["seller", "owner"])
def test_a_past_or_present_owner_is_issued_the_benefit(request, who):
    member = request.getfixturevalue(who)
    [voucher] = voucher_issue(definition=repurchase(), source=MANUAL, member=member, reason="x")
    assert (voucher.member, voucher.vehicle) == (member, None)


@pytest.mark.parametrize("who", ["never_owned", "member_without_anything"])
def test_a_member_who_never_owned_one_of_our_cars_is_refused(request, who):
    member = request.getfixturevalue("never_owned") if who == "never_owned" else MemberFactory()
    definition = repurchase()

    with pytest.raises(NotPastOwner) as refused:
        voucher_issue(definition=definition, source=MANUAL, member=member, reason="x")

    assert refused.value.code == "not_past_owner" and "owned one of our cars" in refused.value.message
    assert not Voucher.objects.exists()
    definition.refresh_from_db()
    assert definition.stock_issued == 0


def test_without_a_member_it_is_the_missing_holder_refusal():
    with pytest.raises(HolderMissing) as refused:
        voucher_issue(definition=repurchase(), source=MANUAL, vehicle=OwnedVehicleFactory(), reason="x")
    assert not isinstance(refused.value, NotPastOwner)


def test_event_issuance_records_the_refusal_and_issues_nothing(never_owned, seller):
    definition = repurchase(trigger_event=VoucherDefinition.TriggerEvent.BIRTHDAY, trigger_once_per="member")
    refused, vouchers = event_grant(definition=definition, event="birthday", member=never_owned, vehicle=None)
    assert vouchers == [] and refused.status == "refused" and "owned one of our cars" in refused.reason
    granted, vouchers = event_grant(definition=definition, event="birthday", member=seller, vehicle=None)
    assert len(vouchers) == 1 and granted.status == "issued"


def test_the_partner_api_answers_the_refusal_as_a_problem(never_owned, seller):
    repurchase(code="repurchase-api")
    _key, plaintext = make_key("crm")
    partner = client_for(plaintext)

    refused = post(
        partner,
        "/api/v1/vouchers/issue",
        {"definition": "repurchase-api", "member": {"phone": never_owned.phone}},
    )
    accepted = post(
        partner, "/api/v1/vouchers/issue", {"definition": "repurchase-api", "member": {"phone": seller.phone}}
    )

    assert refused.status_code == 409 and problem(refused)["code"] == "not_past_owner"
    assert accepted.status_code == 201, accepted.content
    assert Voucher.objects.get().member == seller


# --- bulk issuance ----------------------------------------------------------------------------------


def test_a_bulk_batch_issues_to_past_owners_and_rejects_the_others_with_the_reason(
    seller, owner, never_owned
):
    definition = repurchase()
    batch = issue_batch_prepare(
        definition=definition,
        reason="repurchase campaign",
        source_kind="file",
        source_label="list.csv",
        values=list(enumerate([seller.phone, owner.phone, never_owned.phone], start=1)),
    )
    rows = {row.row_number: row for row in batch.rows.all()}
    assert rows[1].status == rows[2].status == IssueBatchRow.Status.PENDING
    assert rows[3].reason == IssueBatchRow.Reason.NOT_ELIGIBLE
    assert "owned one of our cars" in rows[3].detail

    IssueBatch.objects.filter(pk=batch.pk).update(status=IssueBatch.Status.QUEUED)
    issue_batch_process(batch_id=batch.pk)

    assert set(Voucher.objects.values_list("member_id", flat=True)) == {seller.pk, owner.pk}


def test_a_bulk_row_is_decided_again_at_issue_time(seller):
    """The holder rule is asked again under the lock: a row whose member's past ownership is gone
    (the ownership record removed by operations after the dry run) is rejected, not issued."""
    definition = repurchase()
    batch = issue_batch_prepare(
        definition=definition,
        reason="repurchase campaign",
        source_kind="file",
        source_label="list.csv",
        values=[(1, seller.phone)],
    )
    seller.ownerships.all().delete()
    IssueBatch.objects.filter(pk=batch.pk).update(status=IssueBatch.Status.QUEUED)

    issue_batch_process(batch_id=batch.pk)

    row = batch.rows.get()
    assert row.status == IssueBatchRow.Status.REJECTED and "owned one of our cars" in row.detail
    assert not Voucher.objects.exists()


# --- claiming ---------------------------------------------------------------------------------------


def test_a_past_owner_without_a_car_claims_it(seller):
    definition = repurchase(channel_claim=True)
    offer = next(o for o in claim_offers(seller, now=timezone.now()) if o.definition == definition)
    assert offer.claimable and not offer.needs_vehicle
    assert ("For members who have owned one of our cars", True) in [(c.text, c.met) for c in offer.conditions]

    [voucher] = voucher_claim(definition=definition, member=seller)

    assert voucher.member == seller and voucher.source == Voucher.Source.CLAIM


def test_a_member_who_never_owned_a_car_cannot_claim_it_and_the_page_says_why(never_owned):
    definition = repurchase(channel_claim=True)
    offer = next(o for o in claim_offers(never_owned, now=timezone.now()) if o.definition == definition)

    with pytest.raises(ClaimRefused) as refused:
        voucher_claim(definition=definition, member=never_owned)

    assert refused.value.claim_refusal == ClaimRefusal.NOT_PAST_OWNER
    assert not offer.claimable and offer.blockers == [refused.value.message]
    assert ("For members who have owned one of our cars", False) in [
        (c.text, c.met) for c in offer.conditions
    ]
    assert not Voucher.objects.exists()


def test_the_claim_centre_page_offers_it_to_a_past_owner(seller):
    definition = repurchase(channel_claim=True, card_title="Welcome back")
    client = sign_in(english_client(), seller)
    html = client.get(reverse("portal:claim_centre")).content.decode()
    assert "Welcome back" in html and "Repurchase benefit" in html
    assert f'action="{reverse("portal:claim", args=[definition.pk])}"' in html


# --- using it -----------------------------------------------------------------------------------------


def test_once_held_it_is_used_like_any_member_voucher(seller):
    """Past ownership cannot be lost, so redemption asks nothing more: the member's cars now."""
    voucher = issue_voucher(repurchase(), member=seller)
    new_car = OwnedVehicleFactory(owner=seller)
    other = VehicleFactory()
    now = timezone.now()
    assert (
        voucher_ineligibility(voucher, vehicle=new_car, dealer=None, now=now, member_vehicle_ids={new_car.pk})
        == []
    )
    assert voucher_ineligibility(
        voucher, vehicle=other, dealer=None, now=now, member_vehicle_ids={new_car.pk}
    )


# --- the definition -----------------------------------------------------------------------------------


def test_the_card_says_it_is_a_repurchase_benefit():
    assert "Repurchase benefit" in definition_card_preview(repurchase(), now=timezone.now()).tags


@pytest.mark.parametrize("holder", [Holder.VEHICLE, Holder.MEMBER_VEHICLE, Holder.ORDER])
def test_the_database_refuses_it_on_a_holder_other_than_a_member(holder):
    with pytest.raises(IntegrityError), transaction.atomic():
        repurchase(holder_type=holder)


def test_the_wizard_sets_it_for_a_member_holder_and_refuses_it_otherwise(client):
    client.force_login(staff_user("Operations", username="ops-repurchase"))
    url = reverse("admin:vouchers_voucherdefinition_wizard_new")

    refused = client.post(url, {**STEP1, "holder_type": "vehicle", "holder_has_owned": "on", "_next": "1"})
    assert refused.status_code == 200
    assert "holder_has_owned" in refused.context["form"].errors
    assert not VoucherDefinition.objects.exists()

    saved = client.post(url, {**STEP1, "holder_type": "member", "holder_has_owned": "on", "_next": "1"})
    assert saved.status_code == 302, saved.context["form"].errors
    definition = VoucherDefinition.objects.get()
    assert definition.holder_has_owned and definition.holder_type == Holder.MEMBER
    review = client.get(reverse("admin:vouchers_voucherdefinition_review", args=[definition.pk]))
    assert "only members who have owned one of our cars (repurchase benefit)" in review.content.decode()


def test_it_is_frozen_once_vouchers_exist(seller):
    definition = repurchase()
    issue_voucher(definition, member=seller)
    with pytest.raises(DefinitionFieldsLocked):
        definition_save_step(definition=definition, step=1, values={"holder_has_owned": False})
