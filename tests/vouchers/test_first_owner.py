"""First-owner benefits (member-and-vehicle vouchers) need first ownership, not only current ownership:
the buyer of a used car can neither be issued nor claim one, and the claim centre page and the claim
service agree."""

import pytest
from django.utils import timezone, translation

from portal.claim_centre import claim_offers
from tests.factories import DefinitionFactory, MemberFactory, OwnedVehicleFactory
from vehicles.services import vehicle_transfer_ownership
from vouchers.exceptions import ClaimRefused, NotFirstOwner
from vouchers.models import Voucher, VoucherDefinition
from vouchers.services import voucher_claim, voucher_issue

pytestmark = pytest.mark.django_db
Holder = VoucherDefinition.HolderType


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def used_car():
    car = OwnedVehicleFactory()
    buyer = MemberFactory()
    vehicle_transfer_ownership(vehicle=car, new_owner=buyer)
    return car, buyer


def test_a_first_owner_benefit_is_issued_to_the_first_owner():
    car = OwnedVehicleFactory()
    first = car.ownerships.get().member
    benefit = DefinitionFactory(holder_type=Holder.MEMBER_VEHICLE)

    vouchers = voucher_issue(
        definition=benefit, source=Voucher.Source.MANUAL, member=first, vehicle=car, reason="x"
    )

    assert len(vouchers) == 1


def test_a_used_car_buyer_cannot_be_issued_a_first_owner_benefit(used_car):
    car, buyer = used_car
    benefit = DefinitionFactory(holder_type=Holder.MEMBER_VEHICLE)

    with pytest.raises(NotFirstOwner):
        voucher_issue(definition=benefit, source=Voucher.Source.MANUAL, member=buyer, vehicle=car, reason="x")

    assert not Voucher.objects.filter(definition=benefit).exists()


def test_a_used_car_buyer_cannot_claim_it_and_the_claim_centre_does_not_offer_the_car(used_car):
    car, buyer = used_car
    benefit = DefinitionFactory(holder_type=Holder.MEMBER_VEHICLE, channel_claim=True)

    with pytest.raises(ClaimRefused) as refused:
        voucher_claim(definition=benefit, member=buyer, vehicle=car)

    assert "first owner" in refused.value.message
    offer = next(o for o in claim_offers(buyer, now=timezone.now()) if o.definition == benefit)
    assert car not in offer.vehicles


def test_the_claim_service_like_the_page_keeps_first_owner_benefits_for_owners():
    car = OwnedVehicleFactory()
    driver = MemberFactory()
    from vehicles.services import vehicle_authorise_driver

    vehicle_authorise_driver(vehicle=car, member=driver)
    benefit = DefinitionFactory(
        holder_type=Holder.MEMBER_VEHICLE, channel_claim=True, claim_owners_only=False
    )

    with pytest.raises(ClaimRefused):
        voucher_claim(definition=benefit, member=driver, vehicle=car)
    offer = next(o for o in claim_offers(driver, now=timezone.now()) if o.definition == benefit)
    assert car not in offer.vehicles


def test_a_bulk_batch_rejects_a_used_car_and_issues_to_the_first_owner(used_car):
    """Bulk issuance asks the same holder rule: the plate of a car sold on is a row with the reason."""
    from vouchers.models import IssueBatch, IssueBatchRow
    from vouchers.services.bulk import issue_batch_prepare, issue_batch_process

    car, _buyer = used_car
    new_car = OwnedVehicleFactory()
    benefit = DefinitionFactory(holder_type=Holder.MEMBER_VEHICLE)
    batch = issue_batch_prepare(
        definition=benefit,
        reason="first-owner gift",
        source_kind="file",
        source_label="list.csv",
        values=[(1, car.plate), (2, new_car.plate)],
    )
    rows = {row.row_number: row for row in batch.rows.all()}
    assert rows[1].reason == IssueBatchRow.Reason.NOT_ELIGIBLE and "first owner" in rows[1].detail
    assert rows[2].status == IssueBatchRow.Status.PENDING

    IssueBatch.objects.filter(pk=batch.pk).update(status=IssueBatch.Status.QUEUED)
    issue_batch_process(batch_id=batch.pk)

    assert list(Voucher.objects.values_list("vehicle_id", "member_id")) == [
        (new_car.pk, new_car.ownerships.get().member_id)
    ]


def test_a_car_sold_between_the_dry_run_and_issuing_is_rejected_at_issue_time():
    from vouchers.models import IssueBatch, IssueBatchRow
    from vouchers.services.bulk import issue_batch_prepare, issue_batch_process

    car = OwnedVehicleFactory()
    benefit = DefinitionFactory(holder_type=Holder.MEMBER_VEHICLE)
    batch = issue_batch_prepare(
        definition=benefit,
        reason="gift",
        source_kind="file",
        source_label="list.csv",
        values=[(1, car.plate)],
    )
    vehicle_transfer_ownership(vehicle=car, new_owner=MemberFactory())
    IssueBatch.objects.filter(pk=batch.pk).update(status=IssueBatch.Status.QUEUED)

    issue_batch_process(batch_id=batch.pk)

    assert batch.rows.get().status == IssueBatchRow.Status.REJECTED
    assert not Voucher.objects.exists()
