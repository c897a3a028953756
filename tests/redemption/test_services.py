"""redemption.services: the counter's one-step redeem, holds, completion, cancellation, reversal."""

from datetime import timedelta

import pytest
from django.utils import timezone, translation

from members.actors import Actor, ActorKind
from redemption.exceptions import (
    HoldNotOpen,
    InvalidMileage,
    RedemptionNotFound,
    RedemptionNotReversible,
    ReversalWindowPassed,
)
from redemption.models import Redemption
from redemption.services import (
    holds_release_stale,
    redemption_cancel,
    redemption_complete,
    redemption_redeem,
    redemption_reverse,
    redemption_start,
)
from tests.factories import (
    DealerFactory,
    DealerStaffFactory,
    DefinitionFactory,
    MemberFactory,
    OwnedVehicleFactory,
    UserFactory,
    issue_voucher,
)
from vehicles.models import MileageReading
from vehicles.services import vehicle_transfer_ownership
from vouchers.exceptions import ReasonRequired, VoucherNotUsable
from vouchers.models import LedgerEntry, Voucher, VoucherDefinition
from vouchers.selectors import ledger_drift

pytestmark = pytest.mark.django_db

Status = Voucher.Status
RStatus = Redemption.Status
Kind = LedgerEntry.Kind
T0 = timezone.now().replace(microsecond=0)


@pytest.fixture
def staff():
    return DealerStaffFactory(user__username="sa-chen")


@pytest.fixture
def dealer(staff):
    return staff.dealer


@pytest.fixture
def advisor(staff):
    return staff.user


@pytest.fixture
def vehicle():
    return OwnedVehicleFactory(last_mileage_km=20_000)


def voucher_for(vehicle, **definition) -> Voucher:
    return issue_voucher(DefinitionFactory(**definition), vehicle=vehicle, now=T0)


def fresh(obj):
    return type(obj).objects.get(pk=obj.pk)


def reconciled() -> bool:
    return ledger_drift().count() == 0


# --- redemption_redeem -------------------------------------------------------------------------


def test_redeem_records_where_by_whom_and_at_what_mileage(vehicle, dealer, advisor):
    voucher = voucher_for(vehicle, uses_per_voucher=2)
    now = T0 + timedelta(hours=2)

    redemption = redemption_redeem(
        voucher=voucher,
        vehicle=vehicle,
        dealer=dealer,
        advisor=advisor,
        idempotency_key="counter-1:abc",
        mileage_km=25_300,
        work_order="WO-2025-0042",
        now=now,
    )

    redemption = fresh(redemption)
    assert (redemption.voucher, redemption.vehicle, redemption.dealer, redemption.advisor) == (
        voucher,
        vehicle,
        dealer,
        advisor,
    )
    assert redemption.status == RStatus.COMPLETED
    assert (redemption.mileage_km, redemption.work_order) == (25_300, "WO-2025-0042")
    assert (redemption.started_at, redemption.completed_at) == (now, now)
    assert redemption.actor_label == "advisor:sa-chen"
    assert redemption.channel == Redemption.Channel.COUNTER
    entry = redemption.redeemed_entry
    assert (entry.kind, entry.delta, entry.dealer, entry.actor) == (Kind.REDEEMED, -1, dealer, advisor)
    assert entry.idempotency_key == "counter-1:abc"
    assert entry.data == {"mileage_km": 25_300, "work_order": "WO-2025-0042", "channel": "counter"}
    assert (fresh(voucher).status, fresh(voucher).uses_left) == (Status.ACTIVE, 1)
    assert redemption.receipt_number == f"R{redemption.pk:08d}"
    assert reconciled()


def test_redeem_raises_the_vehicles_mileage_and_records_the_visit(vehicle, dealer):
    voucher = voucher_for(vehicle)
    now = T0 + timedelta(hours=1)

    redemption_redeem(
        voucher=voucher, vehicle=vehicle, dealer=dealer, idempotency_key="k", mileage_km=21_000, now=now
    )

    vehicle = fresh(vehicle)
    assert vehicle.last_mileage_km == 21_000
    assert vehicle.last_mileage_at == now
    assert vehicle.last_visit_at == now
    assert list(MileageReading.objects.filter(vehicle=vehicle).values_list("km", "source")) == [
        (21_000, "redemption")
    ]


def test_redeem_without_mileage_leaves_it_alone(vehicle, dealer):
    voucher = voucher_for(vehicle)

    redemption_redeem(voucher=voucher, vehicle=vehicle, dealer=dealer, idempotency_key="k")

    assert fresh(vehicle).last_mileage_km == 20_000
    assert not MileageReading.objects.filter(vehicle=vehicle).exists()


def test_an_earlier_visit_does_not_move_last_visit_back(vehicle, dealer):
    later = T0 + timedelta(days=2)
    redemption_redeem(
        voucher=voucher_for(vehicle), vehicle=vehicle, dealer=dealer, idempotency_key="a", now=later
    )

    redemption_redeem(
        voucher=voucher_for(vehicle),
        vehicle=vehicle,
        dealer=dealer,
        idempotency_key="b",
        now=T0 + timedelta(days=1),
    )

    assert fresh(vehicle).last_visit_at == later


def test_redeem_replay_returns_the_same_redemption_and_consumes_nothing(vehicle, dealer, advisor):
    voucher = voucher_for(vehicle, uses_per_voucher=3)

    first = redemption_redeem(
        voucher=voucher,
        vehicle=vehicle,
        dealer=dealer,
        advisor=advisor,
        idempotency_key="k",
        mileage_km=21_000,
    )
    again = redemption_redeem(
        voucher=voucher,
        vehicle=vehicle,
        dealer=dealer,
        advisor=advisor,
        idempotency_key="k",
        mileage_km=21_000,
    )

    assert again.pk == first.pk
    assert Redemption.objects.filter(voucher=voucher).count() == 1
    assert fresh(voucher).uses_left == 2
    assert voucher.ledger.filter(kind=Kind.REDEEMED).count() == 1
    assert MileageReading.objects.filter(vehicle=vehicle).count() == 1
    assert reconciled()


def test_a_refused_redeem_records_nothing(vehicle, dealer):
    voucher = voucher_for(vehicle)

    with pytest.raises(VoucherNotUsable):
        redemption_redeem(
            voucher=voucher,
            vehicle=OwnedVehicleFactory(),
            dealer=dealer,
            idempotency_key="k",
            mileage_km=99_000,
        )

    assert not Redemption.objects.exists()
    assert fresh(voucher).uses_left == 1
    assert not MileageReading.objects.exists()
    assert reconciled()


@pytest.mark.parametrize("mileage", [-1, 2_000_001, "25000", 25_000.5, True])
def test_invalid_mileage_is_refused_before_anything_happens(vehicle, dealer, mileage):
    voucher = voucher_for(vehicle)

    with pytest.raises(InvalidMileage):
        redemption_redeem(
            voucher=voucher, vehicle=vehicle, dealer=dealer, idempotency_key="k", mileage_km=mileage
        )
    with pytest.raises(InvalidMileage):
        redemption_start(
            voucher=voucher, vehicle=vehicle, dealer=dealer, idempotency_key="k", mileage_km=mileage
        )

    assert not Redemption.objects.exists()
    assert (fresh(voucher).status, fresh(voucher).uses_left) == (Status.ACTIVE, 1)


@pytest.mark.parametrize("mileage", [0, 2_000_000])
def test_mileage_bounds_are_accepted(dealer, mileage):
    vehicle = OwnedVehicleFactory(last_mileage_km=0)
    redemption = redemption_redeem(
        voucher=voucher_for(vehicle), vehicle=vehicle, dealer=dealer, idempotency_key="k", mileage_km=mileage
    )

    assert fresh(redemption).mileage_km == mileage


# --- start / complete / cancel -----------------------------------------------------------------


def test_start_holds_one_use_that_other_terminals_see_as_held(vehicle, dealer, advisor):
    voucher = voucher_for(vehicle, uses_per_voucher=2)

    redemption = redemption_start(
        voucher=voucher,
        vehicle=vehicle,
        dealer=dealer,
        advisor=advisor,
        idempotency_key="s",
        mileage_km=20_500,
    )

    assert fresh(redemption).status == RStatus.HELD
    assert (fresh(voucher).status, fresh(voucher).uses_left) == (Status.HELD, 2)
    for call in (redemption_redeem, redemption_start):
        with pytest.raises(VoucherNotUsable) as caught:
            call(voucher=voucher, vehicle=vehicle, dealer=DealerFactory(), idempotency_key="other-terminal")
        assert caught.value.code == "voucher_held"
    assert Redemption.objects.count() == 1
    assert reconciled()


def test_start_replay_returns_the_same_hold(vehicle, dealer):
    voucher = voucher_for(vehicle)

    first = redemption_start(voucher=voucher, vehicle=vehicle, dealer=dealer, idempotency_key="s")
    again = redemption_start(voucher=voucher, vehicle=vehicle, dealer=dealer, idempotency_key="s")

    assert again.pk == first.pk
    assert voucher.ledger.filter(kind=Kind.HELD).count() == 1


def test_complete_consumes_the_held_use(vehicle, dealer, advisor):
    voucher = voucher_for(vehicle, uses_per_voucher=2)
    started = redemption_start(
        voucher=voucher,
        vehicle=vehicle,
        dealer=dealer,
        advisor=advisor,
        idempotency_key="s",
        mileage_km=20_500,
    )
    done_at = T0 + timedelta(hours=1)

    redemption = redemption_complete(
        redemption=started, idempotency_key="c", mileage_km=20_600, work_order="WO-7", now=done_at
    )

    redemption = fresh(redemption)
    assert (redemption.status, redemption.completed_at) == (RStatus.COMPLETED, done_at)
    assert (redemption.mileage_km, redemption.work_order) == (20_600, "WO-7")
    assert redemption.redeemed_entry.kind == Kind.REDEEMED
    assert redemption.redeemed_entry.actor == advisor
    assert (fresh(voucher).status, fresh(voucher).uses_left) == (Status.ACTIVE, 1)
    assert fresh(vehicle).last_mileage_km == 20_600
    assert fresh(vehicle).last_visit_at == done_at
    assert reconciled()


def test_complete_keeps_the_mileage_given_at_start(vehicle, dealer):
    voucher = voucher_for(vehicle)
    started = redemption_start(
        voucher=voucher, vehicle=vehicle, dealer=dealer, idempotency_key="s", mileage_km=20_500
    )

    redemption_complete(redemption=started, idempotency_key="c")

    assert fresh(started).mileage_km == 20_500
    assert fresh(vehicle).last_mileage_km == 20_500
    assert fresh(voucher).status == Status.USED


def test_complete_replay_returns_the_completed_redemption(vehicle, dealer):
    voucher = voucher_for(vehicle, uses_per_voucher=3)
    started = redemption_start(voucher=voucher, vehicle=vehicle, dealer=dealer, idempotency_key="s")

    first = redemption_complete(redemption=started, idempotency_key="c")
    again = redemption_complete(redemption=started, idempotency_key="c")

    assert again.pk == first.pk
    assert fresh(voucher).uses_left == 2
    with pytest.raises(HoldNotOpen):
        redemption_complete(redemption=started, idempotency_key="another")
    assert fresh(voucher).uses_left == 2
    assert reconciled()


def test_cancel_releases_the_hold(vehicle, dealer, advisor):
    voucher = voucher_for(vehicle)
    started = redemption_start(voucher=voucher, vehicle=vehicle, dealer=dealer, idempotency_key="s")
    now = T0 + timedelta(minutes=20)

    redemption = redemption_cancel(
        redemption=started, actor=Actor.advisor(advisor), reason="customer left", now=now
    )

    assert (fresh(redemption).status, fresh(redemption).cancelled_at) == (RStatus.CANCELLED, now)
    assert (fresh(voucher).status, fresh(voucher).uses_left) == (Status.ACTIVE, 1)
    entry = voucher.ledger.order_by("pk").last()
    assert (entry.kind, entry.reason, entry.dealer) == (Kind.HOLD_RELEASED, "customer left", dealer)
    # Cancelling again is a no-op; the voucher can be used afresh.
    assert redemption_cancel(redemption=started).pk == started.pk
    assert voucher.ledger.filter(kind=Kind.HOLD_RELEASED).count() == 1
    redemption_redeem(voucher=voucher, vehicle=vehicle, dealer=dealer, idempotency_key="again")
    assert fresh(voucher).status == Status.USED
    assert reconciled()


def test_a_cancelled_hold_cannot_be_completed_and_a_completed_one_not_cancelled(vehicle, dealer):
    voucher = voucher_for(vehicle, uses_per_voucher=2)
    cancelled = redemption_start(voucher=voucher, vehicle=vehicle, dealer=dealer, idempotency_key="s1")
    redemption_cancel(redemption=cancelled)
    completed = redemption_start(voucher=voucher, vehicle=vehicle, dealer=dealer, idempotency_key="s2")
    redemption_complete(redemption=completed, idempotency_key="c2")

    with pytest.raises(HoldNotOpen):
        redemption_complete(redemption=cancelled, idempotency_key="c1")
    with pytest.raises(HoldNotOpen):
        redemption_cancel(redemption=completed)

    assert (fresh(cancelled).status, fresh(completed).status) == (RStatus.CANCELLED, RStatus.COMPLETED)
    assert fresh(voucher).uses_left == 1
    assert reconciled()


def test_another_dealer_cannot_see_the_redemption(vehicle, dealer):
    voucher = voucher_for(vehicle, uses_per_voucher=3)
    held = redemption_start(voucher=voucher, vehicle=vehicle, dealer=dealer, idempotency_key="s")
    completed = redemption_redeem(
        voucher=voucher_for(vehicle), vehicle=vehicle, dealer=dealer, idempotency_key="r"
    )
    elsewhere = DealerFactory()

    with pytest.raises(RedemptionNotFound):
        redemption_complete(redemption=held, idempotency_key="c", dealer=elsewhere)
    with pytest.raises(RedemptionNotFound):
        redemption_cancel(redemption=held, dealer=elsewhere)
    with pytest.raises(RedemptionNotFound):
        redemption_reverse(redemption=completed, reason="x", dealer=elsewhere)

    assert fresh(held).status == RStatus.HELD
    assert fresh(completed).status == RStatus.COMPLETED
    assert fresh(voucher).status == Status.HELD
    # The own dealer may.
    redemption_complete(redemption=held, idempotency_key="c", dealer=dealer)
    assert fresh(held).status == RStatus.COMPLETED
    assert reconciled()


# --- reverse -----------------------------------------------------------------------------------


def test_reverse_within_the_window_gives_the_use_back(vehicle, dealer, advisor):
    voucher = voucher_for(vehicle)
    redemption = redemption_redeem(
        voucher=voucher, vehicle=vehicle, dealer=dealer, idempotency_key="k", now=T0
    )
    now = T0 + timedelta(hours=1)

    reversed_ = redemption_reverse(
        redemption=redemption, reason=" wrong car ", actor=Actor.advisor(advisor), now=now
    )

    reversed_ = fresh(reversed_)
    assert reversed_.status == RStatus.REVERSED
    assert (reversed_.reversed_at, reversed_.reversed_by, reversed_.reversal_reason) == (
        now,
        advisor,
        "wrong car",
    )
    assert (fresh(voucher).status, fresh(voucher).uses_left) == (Status.ACTIVE, 1)
    entry = voucher.ledger.order_by("pk").last()
    assert (entry.kind, entry.delta, entry.data) == (
        Kind.REVERSED,
        1,
        {"reverses": redemption.redeemed_entry_id},
    )
    # A second call is a no-op.
    assert redemption_reverse(redemption=redemption, reason="again", now=now).pk == redemption.pk
    assert voucher.ledger.filter(kind=Kind.REVERSED).count() == 1
    assert reconciled()


def test_reverse_after_the_window_is_refused_unless_operations_bypass_it(settings, vehicle, dealer):
    settings.REDEMPTION_REVERSAL_WINDOW = timedelta(minutes=10)
    voucher = voucher_for(vehicle)
    redemption = redemption_redeem(
        voucher=voucher, vehicle=vehicle, dealer=dealer, idempotency_key="k", now=T0
    )

    too_late = T0 + timedelta(minutes=10, seconds=1)
    with pytest.raises(ReversalWindowPassed):
        redemption_reverse(redemption=redemption, reason="late", now=too_late)
    assert fresh(redemption).status == RStatus.COMPLETED
    assert fresh(voucher).status == Status.USED

    redemption_reverse(redemption=redemption, reason="ops decided", enforce_window=False, now=too_late)
    assert fresh(redemption).status == RStatus.REVERSED
    assert fresh(voucher).uses_left == 1
    assert reconciled()


def test_reverse_at_the_edge_of_the_window_is_allowed(settings, vehicle, dealer):
    settings.REDEMPTION_REVERSAL_WINDOW = timedelta(minutes=10)
    voucher = voucher_for(vehicle)
    redemption = redemption_redeem(
        voucher=voucher, vehicle=vehicle, dealer=dealer, idempotency_key="k", now=T0
    )

    redemption_reverse(redemption=redemption, reason="just in time", now=T0 + timedelta(minutes=10))

    assert fresh(redemption).status == RStatus.REVERSED


def test_only_a_completed_redemption_can_be_reversed(vehicle, dealer):
    voucher = voucher_for(vehicle, uses_per_voucher=2)
    held = redemption_start(voucher=voucher, vehicle=vehicle, dealer=dealer, idempotency_key="s1")
    with pytest.raises(RedemptionNotReversible):
        redemption_reverse(redemption=held, reason="x")
    redemption_cancel(redemption=held)
    with pytest.raises(RedemptionNotReversible):
        redemption_reverse(redemption=held, reason="x")

    assert fresh(held).status == RStatus.CANCELLED
    assert (fresh(voucher).status, fresh(voucher).uses_left) == (Status.ACTIVE, 2)
    assert reconciled()


@pytest.mark.parametrize("reason", ["", "   "])
def test_reverse_needs_a_reason(vehicle, dealer, reason):
    voucher = voucher_for(vehicle)
    redemption = redemption_redeem(voucher=voucher, vehicle=vehicle, dealer=dealer, idempotency_key="k")

    with pytest.raises(ReasonRequired):
        redemption_reverse(redemption=redemption, reason=reason)

    assert fresh(redemption).status == RStatus.COMPLETED
    assert fresh(voucher).status == Status.USED
    assert reconciled()


# --- stale holds -------------------------------------------------------------------------------


def test_stale_holds_are_released_and_recent_ones_kept(settings, vehicle, dealer):
    settings.REDEMPTION_HOLD_TIMEOUT = timedelta(hours=4)
    old_voucher, recent_voucher = voucher_for(vehicle), voucher_for(vehicle)
    old = redemption_start(voucher=old_voucher, vehicle=vehicle, dealer=dealer, idempotency_key="a", now=T0)
    recent = redemption_start(
        voucher=recent_voucher,
        vehicle=vehicle,
        dealer=dealer,
        idempotency_key="b",
        now=T0 + timedelta(hours=3),
    )
    now = T0 + timedelta(hours=5)

    with translation.override("en"):  # whoever runs the job, the ledger reads in zh-Hant
        assert holds_release_stale(now=now) == 1

    assert (fresh(old).status, fresh(old).cancelled_at) == (RStatus.CANCELLED, now)
    assert fresh(recent).status == RStatus.HELD
    assert fresh(old_voucher).status == Status.ACTIVE
    assert fresh(recent_voucher).status == Status.HELD
    entry = old_voucher.ledger.order_by("pk").last()
    assert (entry.kind, entry.actor_label) == (Kind.HOLD_RELEASED, "system:hold-timeout")
    assert entry.reason == "保留逾時，已自動取消。"
    assert holds_release_stale(now=now) == 0
    assert reconciled()


def test_stale_holds_before_an_explicit_cutoff(vehicle, dealer):
    voucher = voucher_for(vehicle)
    held = redemption_start(voucher=voucher, vehicle=vehicle, dealer=dealer, idempotency_key="a", now=T0)

    assert holds_release_stale(older_than=T0, now=T0 + timedelta(minutes=1)) == 0
    assert holds_release_stale(older_than=T0 + timedelta(seconds=1), now=T0 + timedelta(minutes=1)) == 1
    assert fresh(held).status == RStatus.CANCELLED


def test_a_hold_on_a_voucher_voided_by_an_ownership_change_is_closed_by_the_sweep(vehicle, dealer):
    # T0 is fixed when the module is imported; in a long run the factory's ownership starts after it.
    vehicle.ownerships.update(started_at=T0 - timedelta(days=1))
    owner = vehicle.ownerships.get().member
    benefit = DefinitionFactory(holder_type=VoucherDefinition.HolderType.MEMBER_VEHICLE)
    voucher = issue_voucher(benefit, member=owner, vehicle=vehicle, now=T0)
    other = voucher_for(vehicle)
    orphan = redemption_start(voucher=voucher, vehicle=vehicle, dealer=dealer, idempotency_key="a", now=T0)
    stale = redemption_start(voucher=other, vehicle=vehicle, dealer=dealer, idempotency_key="b", now=T0)
    vehicle_transfer_ownership(vehicle=vehicle, new_owner=MemberFactory(), now=T0 + timedelta(minutes=5))
    assert fresh(voucher).status == Status.VOIDED

    assert holds_release_stale(now=T0 + timedelta(days=1)) == 2

    assert fresh(orphan).status == RStatus.CANCELLED
    assert fresh(stale).status == RStatus.CANCELLED
    assert fresh(voucher).status == Status.VOIDED
    assert fresh(other).status == Status.ACTIVE
    assert reconciled()


def test_advisor_label_defaults_to_the_username_and_can_be_overridden(vehicle, dealer):
    user = UserFactory(username="sa-lin")

    by_advisor = redemption_redeem(
        voucher=voucher_for(vehicle), vehicle=vehicle, dealer=dealer, idempotency_key="a", advisor=user
    )
    by_api = redemption_redeem(
        voucher=voucher_for(vehicle),
        vehicle=vehicle,
        dealer=dealer,
        idempotency_key="b",
        actor=Actor(ActorKind.API_KEY, name="dms"),
        channel=Redemption.Channel.API,
    )

    assert by_advisor.actor_label == "advisor:sa-lin"
    assert (by_api.actor_label, by_api.channel, by_api.advisor) == ("api:dms", "api", None)


def test_a_long_username_is_cut_to_the_label_column_not_refused_by_the_database(vehicle, dealer):
    """Usernames may have 150 characters, the label column 80 (as in the ledger): a long one
    answered the counter with a database error on PostgreSQL."""
    user = UserFactory(username="sa-" + "x" * 140)

    started = redemption_start(
        voucher=voucher_for(vehicle), vehicle=vehicle, dealer=dealer, idempotency_key="s", advisor=user
    )
    redeemed = redemption_redeem(
        voucher=voucher_for(vehicle), vehicle=vehicle, dealer=dealer, idempotency_key="r", advisor=user
    )

    for redemption in (started, redeemed):
        redemption.refresh_from_db()
        assert redemption.actor_label == f"advisor:sa-{'x' * 140}"[:80]


def test_a_long_work_order_is_cut_to_its_column_in_the_redemption_and_the_ledger(vehicle, dealer):
    long = "WO-" + "9" * 60

    redemption = redemption_redeem(
        voucher=voucher_for(vehicle), vehicle=vehicle, dealer=dealer, idempotency_key="w", work_order=long
    )

    redemption.refresh_from_db()
    assert redemption.work_order == long[:40]
    assert redemption.redeemed_entry.data["work_order"] == long[:40]


# --- replays: the services say so; callers need not compare timestamps ------------------------------


def test_redeem_and_start_say_whether_the_call_was_a_replay(vehicle, dealer):
    voucher = voucher_for(vehicle, uses_per_voucher=3)
    first = redemption_redeem(voucher=voucher, vehicle=vehicle, dealer=dealer, idempotency_key="r", now=T0)
    # The same moment again: only the service can tell the replay from a new redemption.
    again = redemption_redeem(voucher=voucher, vehicle=vehicle, dealer=dealer, idempotency_key="r", now=T0)
    held = redemption_start(voucher=voucher, vehicle=vehicle, dealer=dealer, idempotency_key="s", now=T0)
    held_again = redemption_start(voucher=voucher, vehicle=vehicle, dealer=dealer, idempotency_key="s")

    assert (first.replayed, again.replayed, again.pk) == (False, True, first.pk)
    assert (held.replayed, held_again.replayed, held_again.pk) == (False, True, held.pk)
    assert Redemption.objects.get(pk=first.pk).replayed is False


def test_complete_cancel_and_reverse_say_whether_the_call_was_a_replay(vehicle, dealer):
    voucher = voucher_for(vehicle, uses_per_voucher=3)
    to_complete = redemption_start(voucher=voucher, vehicle=vehicle, dealer=dealer, idempotency_key="a")
    completed = redemption_complete(redemption=to_complete, idempotency_key="c", now=T0)
    assert (
        completed.replayed,
        redemption_complete(redemption=to_complete, idempotency_key="c").replayed,
    ) == (
        False,
        True,
    )

    to_cancel = redemption_start(voucher=voucher, vehicle=vehicle, dealer=dealer, idempotency_key="b")
    assert redemption_cancel(redemption=to_cancel, now=T0).replayed is False
    assert redemption_cancel(redemption=to_cancel, now=T0).replayed is True

    assert redemption_reverse(redemption=completed, reason="wrong car", now=T0).replayed is False
    assert redemption_reverse(redemption=completed, reason="wrong car", now=T0).replayed is True


def test_a_ledger_replay_is_marked_on_the_entry(vehicle):
    from vouchers.services import voucher_void

    voucher = voucher_for(vehicle)
    first = voucher_void(voucher=voucher, reason="duplicate", idempotency_key="v")
    again = voucher_void(voucher=voucher, reason="duplicate", idempotency_key="v")

    assert (first.replayed, again.replayed, again.pk) == (False, True, first.pk)
