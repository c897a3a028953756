"""PostgreSQL backs "a held voucher has its open hold" with a constraint trigger checked at commit.

Inside the test's transaction `SET CONSTRAINTS ALL IMMEDIATE` runs the deferred checks at once,
as the commit would.
"""

import pytest
from django.db import IntegrityError, connection, transaction

from redemption.models import Redemption
from redemption.services import redemption_cancel, redemption_complete, redemption_start
from tests.factories import (
    DealerFactory,
    DefinitionFactory,
    MemberFactory,
    OwnedVehicleFactory,
    issue_voucher,
)
from vehicles.services import vehicle_transfer_ownership
from vouchers.models import Voucher, VoucherDefinition

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def checked_now():
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


@pytest.fixture
def vehicle():
    return OwnedVehicleFactory()


@pytest.fixture
def dealer():
    return DealerFactory()


def start(vehicle, dealer, member=None, **definition):
    voucher = issue_voucher(DefinitionFactory(**definition), vehicle=vehicle, member=member)
    return voucher, redemption_start(voucher=voucher, vehicle=vehicle, dealer=dealer, idempotency_key="s")


def test_a_voucher_marked_held_without_a_hold_is_refused(vehicle):
    voucher = issue_voucher(DefinitionFactory(), vehicle=vehicle)
    with pytest.raises(IntegrityError, match="held without an open hold"), transaction.atomic():
        Voucher.objects.filter(pk=voucher.pk).update(status=Voucher.Status.HELD)
        checked_now()


def test_closing_a_hold_while_its_voucher_stays_held_is_refused(vehicle, dealer):
    _voucher, redemption = start(vehicle, dealer)
    checked_now()
    with pytest.raises(IntegrityError, match="held without an open hold"), transaction.atomic():
        Redemption.objects.filter(pk=redemption.pk).update(status=Redemption.Status.CANCELLED)
        checked_now()


@pytest.mark.parametrize("end", ["complete", "cancel"])
def test_start_then_complete_or_cancel_keep_the_invariant(vehicle, dealer, end):
    voucher, redemption = start(vehicle, dealer, uses_per_voucher=2)
    checked_now()
    if end == "complete":
        redemption_complete(redemption=redemption, idempotency_key="c", dealer=dealer)
    else:
        redemption_cancel(redemption=redemption, dealer=dealer, reason="customer left")
    checked_now()
    voucher.refresh_from_db()
    assert voucher.status == Voucher.Status.ACTIVE


def test_a_held_first_owner_voucher_voided_on_resale_leaves_its_hold_open_legitimately(vehicle, dealer):
    owner = vehicle.ownerships.get().member
    voucher, redemption = start(
        vehicle, dealer, member=owner, holder_type=VoucherDefinition.HolderType.MEMBER_VEHICLE
    )
    vehicle_transfer_ownership(vehicle=vehicle, new_owner=MemberFactory(), reason="sold")
    checked_now()
    redemption_cancel(redemption=redemption, dealer=dealer, reason="car sold")
    checked_now()
    voucher.refresh_from_db()
    redemption.refresh_from_db()
    assert (voucher.status, redemption.status) == (Voucher.Status.VOIDED, Redemption.Status.CANCELLED)
