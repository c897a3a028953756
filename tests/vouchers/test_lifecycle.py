"""The voucher life cycle after issue (lifecycle.py, refunds.py, definitions.py): each service's
effect, each refusal, idempotent replays, and a ledger that reconciles after every scenario."""

from datetime import date, timedelta

import pytest
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone, translation

from members.actors import Actor, ActorKind
from members.models import Member
from tests.factories import (
    DealerFactory,
    DefinitionFactory,
    MemberFactory,
    OwnedVehicleFactory,
    UserFactory,
    VehicleFactory,
    VehicleModelFactory,
    issue_voucher,
)
from vehicles.services import vehicle_authorise_driver
from vouchers.eligibility import Reason
from vouchers.exceptions import (
    ActivationNotAllowed,
    AlreadyReversed,
    IdempotencyKeyReused,
    IdentityNotVerified,
    InvalidTransition,
    InvalidValidity,
    PublishRefused,
    ReasonRequired,
    RefundNotAllowed,
    VoucherNotUsable,
)
from vouchers.models import LedgerEntry, RefundRequest, Voucher, VoucherDefinition
from vouchers.selectors import ledger_drift
from vouchers.services import (
    definition_publish,
    definition_publish_problems,
    definition_set_status,
    refund_approve,
    refund_reject,
    voucher_activate,
    voucher_complete_hold,
    voucher_extend,
    voucher_hold,
    voucher_lock,
    voucher_redeem,
    voucher_refund_request,
    voucher_release_hold,
    voucher_reverse_use,
    voucher_unlock,
    voucher_void,
    vouchers_expire_batch,
    vouchers_expire_due,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("holds_without_redemptions")]


@pytest.fixture(autouse=True)
def _english():
    """These tests read English messages; the site's default language is zh-Hant."""
    with translation.override("en"):
        yield


Status = Voucher.Status
Kind = LedgerEntry.Kind
Holder = VoucherDefinition.HolderType
Policy = VoucherDefinition.ValidityPolicy
Mode = VoucherDefinition.ActivationMode
DefStatus = VoucherDefinition.Status

T0 = timezone.now().replace(microsecond=0)


def reconciled() -> bool:
    return ledger_drift().count() == 0


def fresh(voucher: Voucher) -> Voucher:
    return Voucher.objects.get(pk=voucher.pk)


def kinds(voucher: Voucher) -> list[str]:
    return list(voucher.ledger.order_by("pk").values_list("kind", flat=True))


@pytest.fixture
def owner() -> Member:
    return MemberFactory()


@pytest.fixture
def vehicle(owner):
    return OwnedVehicleFactory(owner=owner)


@pytest.fixture
def dealer():
    return DealerFactory(city="台北市")


@pytest.fixture
def ops():
    return UserFactory(username="ops-alice")


def voucher_for(vehicle, *, now=T0, **definition) -> Voucher:
    return issue_voucher(DefinitionFactory(**definition), vehicle=vehicle, now=now)


def expect_not_usable(call, code: str):
    with pytest.raises(VoucherNotUsable) as caught:
        call()
    assert caught.value.code == code
    return caught.value


# --- activation --------------------------------------------------------------------------------


def test_the_holder_activates_their_own_voucher(owner, vehicle, ops):
    voucher = voucher_for(vehicle, activation_mode=Mode.HOLDER)
    now = T0 + timedelta(hours=1)

    entry = voucher_activate(voucher=voucher, via="holder", member=owner, actor=Actor.owner(owner), now=now)

    voucher = fresh(voucher)
    assert voucher.status == Status.ACTIVE
    assert voucher.activated_at == now
    assert voucher.status_changed_at == now
    assert (entry.kind, entry.status_before, entry.status_after, entry.delta) == (
        Kind.ACTIVATED,
        Status.INACTIVE,
        Status.ACTIVE,
        0,
    )
    assert entry.data == {"via": "holder"}
    assert kinds(voucher) == [Kind.ISSUED, Kind.ACTIVATED]
    assert reconciled()


def test_a_driver_of_the_car_may_activate_its_voucher(vehicle):
    driver = MemberFactory()
    vehicle_authorise_driver(vehicle=vehicle, member=driver)
    voucher = voucher_for(vehicle, activation_mode=Mode.HOLDER)

    voucher_activate(voucher=voucher, via="holder", member=driver)

    assert fresh(voucher).status == Status.ACTIVE
    assert reconciled()


def test_a_member_activates_their_member_held_voucher(owner):
    voucher = issue_voucher(
        DefinitionFactory(holder_type=Holder.MEMBER, activation_mode=Mode.HOLDER), member=owner
    )

    voucher_activate(voucher=voucher, via="holder", member=owner)

    assert fresh(voucher).status == Status.ACTIVE
    assert reconciled()


@pytest.mark.parametrize("who", ["stranger", "nobody"])
def test_only_the_holder_may_activate_as_holder(vehicle, who):
    voucher = voucher_for(vehicle, activation_mode=Mode.HOLDER)
    member = MemberFactory() if who == "stranger" else None

    with pytest.raises(ActivationNotAllowed):
        voucher_activate(voucher=voucher, via="holder", member=member)

    assert fresh(voucher).status == Status.INACTIVE
    assert kinds(voucher) == [Kind.ISSUED]
    assert reconciled()


def test_another_member_may_not_activate_a_member_held_voucher(owner):
    voucher = issue_voucher(
        DefinitionFactory(holder_type=Holder.MEMBER, activation_mode=Mode.HOLDER), member=owner
    )

    with pytest.raises(ActivationNotAllowed):
        voucher_activate(voucher=voucher, via="holder", member=MemberFactory())

    assert fresh(voucher).status == Status.INACTIVE


def test_activation_requiring_identity_refuses_an_unverified_holder(owner, vehicle):
    voucher = voucher_for(vehicle, activation_mode=Mode.HOLDER, activation_requires_verified_identity=True)

    with pytest.raises(IdentityNotVerified):
        voucher_activate(voucher=voucher, via="holder", member=owner)
    assert fresh(voucher).status == Status.INACTIVE

    owner.identity_verified = True
    owner.save()
    voucher_activate(voucher=voucher, via="holder", member=owner)
    assert fresh(voucher).status == Status.ACTIVE
    assert reconciled()


@pytest.mark.parametrize(
    ("mode", "via"),
    [
        (Mode.HOLDER, "partner"),
        (Mode.PARTNER, "holder"),
        (Mode.OPERATIONS, "holder"),
        (Mode.OPERATIONS, "partner"),
        (Mode.HOLDER, "somebody"),
    ],
)
def test_activation_only_by_the_definitions_way(owner, vehicle, mode, via):
    voucher = voucher_for(vehicle, activation_mode=mode)

    with pytest.raises(ActivationNotAllowed):
        voucher_activate(voucher=voucher, via=via, member=owner)

    assert fresh(voucher).status == Status.INACTIVE
    assert reconciled()


def test_a_partner_activates_a_partner_activated_voucher(vehicle):
    voucher = voucher_for(vehicle, activation_mode=Mode.PARTNER)

    entry = voucher_activate(
        voucher=voucher, via="partner", actor=Actor(ActorKind.API_KEY, name="shop", api_key_id=1)
    )

    assert fresh(voucher).status == Status.ACTIVE
    assert entry.actor_label == "api:shop"
    assert reconciled()


@pytest.mark.parametrize("mode", [Mode.HOLDER, Mode.PARTNER, Mode.OPERATIONS])
def test_operations_activate_any_inactive_voucher(vehicle, ops, mode):
    voucher = voucher_for(vehicle, activation_mode=mode)

    entry = voucher_activate(voucher=voucher, via="operations", actor=Actor.operations(ops))

    assert fresh(voucher).status == Status.ACTIVE
    assert entry.actor == ops
    assert reconciled()


def test_an_active_voucher_cannot_be_activated_again(vehicle):
    voucher = voucher_for(vehicle, activation_mode=Mode.AUTOMATIC)

    with pytest.raises(InvalidTransition):
        voucher_activate(voucher=voucher, via="operations")

    assert kinds(voucher) == [Kind.ISSUED]
    assert reconciled()


def test_an_inactive_voucher_past_its_validity_cannot_be_activated(owner, vehicle):
    voucher = voucher_for(vehicle, activation_mode=Mode.HOLDER, validity_days=10)

    expect_not_usable(
        lambda: voucher_activate(voucher=voucher, via="holder", member=owner, now=T0 + timedelta(days=12)),
        Reason.EXPIRED.value,
    )

    assert fresh(voucher).status == Status.INACTIVE
    assert reconciled()


def test_activation_replay_returns_the_first_entry(owner, vehicle):
    voucher = voucher_for(vehicle, activation_mode=Mode.HOLDER)

    first = voucher_activate(voucher=voucher, via="holder", member=owner, idempotency_key="act-1")
    again = voucher_activate(voucher=voucher, via="holder", member=owner, idempotency_key="act-1")

    assert again.pk == first.pk
    assert kinds(voucher) == [Kind.ISSUED, Kind.ACTIVATED]
    assert reconciled()


# --- redeem, hold, complete, release -----------------------------------------------------------


def test_redeem_consumes_one_use_and_the_last_use_makes_it_used(vehicle, dealer, ops):
    voucher = voucher_for(vehicle, uses_per_voucher=2)

    first = voucher_redeem(
        voucher=voucher,
        vehicle=vehicle,
        dealer=dealer,
        actor=Actor.operations(ops),
        now=T0 + timedelta(days=1),
    )

    voucher = fresh(voucher)
    assert (voucher.status, voucher.uses_left) == (Status.ACTIVE, 1)
    assert (first.kind, first.delta, first.dealer, first.actor, first.uses_left_after) == (
        Kind.REDEEMED,
        -1,
        dealer,
        ops,
        1,
    )

    last = voucher_redeem(voucher=voucher, vehicle=vehicle, dealer=dealer, now=T0 + timedelta(days=2))

    voucher = fresh(voucher)
    assert (voucher.status, voucher.uses_left) == (Status.USED, 0)
    assert (last.status_before, last.status_after) == (Status.ACTIVE, Status.USED)
    assert reconciled()


def test_hold_marks_the_voucher_held_without_consuming(vehicle, dealer):
    voucher = voucher_for(vehicle)

    entry = voucher_hold(voucher=voucher, vehicle=vehicle, dealer=dealer)

    voucher = fresh(voucher)
    assert (voucher.status, voucher.uses_left) == (Status.HELD, 1)
    assert (entry.kind, entry.delta, entry.dealer) == (Kind.HELD, 0, dealer)
    assert reconciled()


def test_completing_a_hold_consumes_the_use(vehicle, dealer):
    voucher = voucher_for(vehicle, uses_per_voucher=3)
    voucher_hold(voucher=voucher, vehicle=vehicle, dealer=dealer)

    entry = voucher_complete_hold(voucher=voucher, vehicle=vehicle, dealer=dealer)

    voucher = fresh(voucher)
    assert (voucher.status, voucher.uses_left) == (Status.ACTIVE, 2)
    assert (entry.kind, entry.delta, entry.status_before) == (Kind.REDEEMED, -1, Status.HELD)
    assert reconciled()


def test_completing_the_hold_of_the_last_use_makes_it_used(vehicle, dealer):
    voucher = voucher_for(vehicle)
    voucher_hold(voucher=voucher, vehicle=vehicle, dealer=dealer)

    voucher_complete_hold(voucher=voucher, vehicle=vehicle, dealer=dealer)

    assert (fresh(voucher).status, fresh(voucher).uses_left) == (Status.USED, 0)
    assert reconciled()


def test_releasing_a_hold_gives_the_voucher_back_untouched(vehicle, dealer):
    voucher = voucher_for(vehicle)
    voucher_hold(voucher=voucher, vehicle=vehicle, dealer=dealer)

    entry = voucher_release_hold(voucher=voucher, reason="customer left", dealer=dealer)

    voucher = fresh(voucher)
    assert (voucher.status, voucher.uses_left) == (Status.ACTIVE, 1)
    assert (entry.kind, entry.delta, entry.reason) == (Kind.HOLD_RELEASED, 0, "customer left")
    assert kinds(voucher) == [Kind.ISSUED, Kind.HELD, Kind.HOLD_RELEASED]
    assert reconciled()


@pytest.mark.parametrize("action", ["complete", "release"])
def test_complete_or_release_need_a_hold(vehicle, dealer, action):
    voucher = voucher_for(vehicle)

    with pytest.raises(InvalidTransition):
        if action == "complete":
            voucher_complete_hold(voucher=voucher, vehicle=vehicle, dealer=dealer)
        else:
            voucher_release_hold(voucher=voucher)

    assert (fresh(voucher).status, fresh(voucher).uses_left) == (Status.ACTIVE, 1)
    assert reconciled()


USE_ACTIONS = ["redeem", "hold"]


def use(action, voucher, vehicle, dealer, now=None):
    service = voucher_redeem if action == "redeem" else voucher_hold
    return service(voucher=voucher, vehicle=vehicle, dealer=dealer, now=now)


@pytest.mark.parametrize("action", USE_ACTIONS)
def test_past_validity_is_refused_while_still_active_before_any_sweep(vehicle, dealer, action):
    voucher = voucher_for(vehicle, validity_days=30)
    assert fresh(voucher).status == Status.ACTIVE

    expect_not_usable(
        lambda: use(action, voucher, vehicle, dealer, T0 + timedelta(days=32)), "voucher_expired"
    )

    voucher = fresh(voucher)
    assert (voucher.status, voucher.uses_left) == (Status.ACTIVE, 1)
    assert kinds(voucher) == [Kind.ISSUED]
    assert reconciled()


@pytest.mark.parametrize("action", USE_ACTIONS)
def test_before_the_window_opens_is_refused(vehicle, dealer, action):
    start = timezone.localdate() + timedelta(days=10)
    voucher = voucher_for(
        vehicle, validity_policy=Policy.FIXED, valid_from_date=start, valid_until_date=start
    )

    expect_not_usable(lambda: use(action, voucher, vehicle, dealer), "voucher_not_yet_valid")

    assert fresh(voucher).uses_left == 1
    assert reconciled()


@pytest.mark.parametrize("action", USE_ACTIONS)
def test_another_vehicle_is_refused(vehicle, dealer, action):
    voucher = voucher_for(vehicle)

    expect_not_usable(lambda: use(action, voucher, OwnedVehicleFactory(), dealer), "vehicle_mismatch")

    assert fresh(voucher).uses_left == 1
    assert reconciled()


@pytest.mark.parametrize("action", USE_ACTIONS)
def test_a_model_not_allowed_is_refused(vehicle, dealer, action):
    voucher = voucher_for(vehicle)
    voucher.definition.allowed_models.add(VehicleModelFactory())

    expect_not_usable(lambda: use(action, voucher, vehicle, dealer), "model_not_allowed")

    voucher.definition.allowed_models.add(vehicle.model)
    use(action, voucher, vehicle, dealer)
    assert reconciled()


@pytest.mark.parametrize("action", USE_ACTIONS)
def test_a_dealer_not_allowed_is_refused(vehicle, dealer, action):
    voucher = voucher_for(vehicle)
    voucher.definition.allowed_dealers.add(DealerFactory())

    expect_not_usable(lambda: use(action, voucher, vehicle, dealer), "dealer_not_allowed")

    voucher.definition.allowed_dealers.add(dealer)
    use(action, voucher, vehicle, dealer)
    assert reconciled()


@pytest.mark.parametrize("action", USE_ACTIONS)
def test_a_dealer_outside_the_allowed_cities_is_refused(vehicle, action):
    voucher = voucher_for(vehicle, allowed_cities="台中市, 高雄市")

    expect_not_usable(
        lambda: use(action, voucher, vehicle, DealerFactory(city="台北市")), "dealer_not_allowed"
    )

    use(action, voucher, vehicle, DealerFactory(city="高雄市"))
    assert reconciled()


@pytest.mark.parametrize("action", USE_ACTIONS)
@pytest.mark.parametrize("state", ["inactive", "locked", "voided"])
def test_a_voucher_that_is_not_active_is_refused(vehicle, dealer, action, state):
    voucher = voucher_for(vehicle, activation_mode=Mode.AUTOMATIC if state != "inactive" else Mode.HOLDER)
    if state == "locked":
        voucher_lock(voucher=voucher, reason="dispute")
    elif state == "voided":
        voucher_void(voucher=voucher, reason="mistake")

    code = {"inactive": "voucher_not_active", "locked": "voucher_locked", "voided": "voucher_voided"}[state]
    expect_not_usable(lambda: use(action, voucher, vehicle, dealer), code)

    assert fresh(voucher).uses_left == 1
    assert reconciled()


@pytest.mark.parametrize("action", USE_ACTIONS)
def test_a_held_voucher_is_refused(vehicle, dealer, action):
    voucher = voucher_for(vehicle, uses_per_voucher=2)
    voucher_hold(voucher=voucher, vehicle=vehicle, dealer=dealer)

    expect_not_usable(lambda: use(action, voucher, vehicle, DealerFactory()), "voucher_held")

    assert (fresh(voucher).status, fresh(voucher).uses_left) == (Status.HELD, 2)
    assert reconciled()


@pytest.mark.parametrize("action", USE_ACTIONS)
def test_an_exhausted_voucher_is_refused(vehicle, dealer, action):
    voucher = voucher_for(vehicle)
    voucher_redeem(voucher=voucher, vehicle=vehicle, dealer=dealer)

    expect_not_usable(lambda: use(action, voucher, vehicle, dealer), "voucher_exhausted")

    assert fresh(voucher).status == Status.USED
    assert reconciled()


def test_a_hold_cannot_be_completed_after_the_voucher_expired(vehicle, dealer):
    voucher = voucher_for(vehicle, validity_days=1)
    voucher_hold(voucher=voucher, vehicle=vehicle, dealer=dealer, now=T0)

    expect_not_usable(
        lambda: voucher_complete_hold(
            voucher=voucher, vehicle=vehicle, dealer=dealer, now=T0 + timedelta(days=3)
        ),
        "voucher_expired",
    )

    assert (fresh(voucher).status, fresh(voucher).uses_left) == (Status.HELD, 1)
    assert reconciled()


def test_refusals_carry_every_reason(vehicle):
    voucher = voucher_for(vehicle, activation_mode=Mode.HOLDER, validity_days=5)
    voucher.definition.allowed_models.add(VehicleModelFactory())

    error = expect_not_usable(
        lambda: voucher_redeem(
            voucher=voucher, vehicle=OwnedVehicleFactory(), dealer=DealerFactory(), now=T0 + timedelta(days=9)
        ),
        "voucher_not_active",
    )

    assert error.reasons == [
        Reason.NOT_ACTIVE,
        Reason.EXPIRED,
        Reason.WRONG_VEHICLE,
        Reason.MODEL_NOT_ALLOWED,
    ]
    assert len(error.messages) == 4


# --- reverse -----------------------------------------------------------------------------------


def test_reversing_a_use_gives_it_back(vehicle, dealer, ops):
    voucher = voucher_for(vehicle)
    redeemed = voucher_redeem(voucher=voucher, vehicle=vehicle, dealer=dealer)

    entry = voucher_reverse_use(
        voucher=voucher, redeemed_entry=redeemed, reason="wrong car", actor=Actor.operations(ops)
    )

    voucher = fresh(voucher)
    assert (voucher.status, voucher.uses_left) == (Status.ACTIVE, 1)
    assert (entry.kind, entry.delta, entry.reason, entry.status_before) == (
        Kind.REVERSED,
        1,
        "wrong car",
        Status.USED,
    )
    assert entry.data == {"reverses": redeemed.pk}
    assert kinds(voucher) == [Kind.ISSUED, Kind.REDEEMED, Kind.REVERSED]
    assert reconciled()


def test_a_use_is_reversed_only_once(vehicle, dealer):
    voucher = voucher_for(vehicle, uses_per_voucher=3)
    redeemed = voucher_redeem(voucher=voucher, vehicle=vehicle, dealer=dealer)
    voucher_reverse_use(voucher=voucher, redeemed_entry=redeemed, reason="mistake")

    with pytest.raises(AlreadyReversed):
        voucher_reverse_use(voucher=voucher, redeemed_entry=redeemed, reason="mistake again")

    assert fresh(voucher).uses_left == 3
    assert reconciled()


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_reversal_needs_a_reason(vehicle, dealer, reason):
    voucher = voucher_for(vehicle)
    redeemed = voucher_redeem(voucher=voucher, vehicle=vehicle, dealer=dealer)

    with pytest.raises(ReasonRequired):
        voucher_reverse_use(voucher=voucher, redeemed_entry=redeemed, reason=reason)

    assert (fresh(voucher).status, fresh(voucher).uses_left) == (Status.USED, 0)
    assert reconciled()


def test_only_a_redemption_of_this_voucher_can_be_reversed(vehicle, dealer):
    voucher = voucher_for(vehicle, uses_per_voucher=2)
    other = voucher_for(vehicle)
    other_redeemed = voucher_redeem(voucher=other, vehicle=vehicle, dealer=dealer)
    issued = voucher.ledger.get(kind=Kind.ISSUED)

    for entry in (other_redeemed, issued):
        with pytest.raises(InvalidTransition):
            voucher_reverse_use(voucher=voucher, redeemed_entry=entry, reason="x")

    assert fresh(voucher).uses_left == 2
    assert reconciled()


def test_a_reversed_use_past_validity_leaves_the_voucher_expired(vehicle, dealer):
    voucher = voucher_for(vehicle, validity_days=3)
    redeemed = voucher_redeem(voucher=voucher, vehicle=vehicle, dealer=dealer, now=T0)

    voucher_reverse_use(
        voucher=voucher, redeemed_entry=redeemed, reason="late fix", now=T0 + timedelta(days=10)
    )

    voucher = fresh(voucher)
    assert (voucher.status, voucher.uses_left) == (Status.EXPIRED, 1)
    assert reconciled()


def test_a_use_cannot_be_reversed_while_the_voucher_is_held(vehicle, dealer):
    voucher = voucher_for(vehicle, uses_per_voucher=2)
    redeemed = voucher_redeem(voucher=voucher, vehicle=vehicle, dealer=dealer)
    voucher_hold(voucher=voucher, vehicle=vehicle, dealer=dealer)

    with pytest.raises(InvalidTransition):
        voucher_reverse_use(voucher=voucher, redeemed_entry=redeemed, reason="x")

    assert (fresh(voucher).status, fresh(voucher).uses_left) == (Status.HELD, 1)
    assert reconciled()


# --- void --------------------------------------------------------------------------------------


@pytest.mark.parametrize("state", ["active", "inactive", "locked"])
def test_void_cancels_an_open_voucher(vehicle, ops, state):
    voucher = voucher_for(vehicle, activation_mode=Mode.HOLDER if state == "inactive" else Mode.AUTOMATIC)
    if state == "locked":
        voucher_lock(voucher=voucher, reason="dispute")
    before = fresh(voucher).status

    entry = voucher_void(voucher=voucher, reason="issued in error", actor=Actor.operations(ops))

    assert fresh(voucher).status == Status.VOIDED
    assert (entry.kind, entry.status_before, entry.reason, entry.actor) == (
        Kind.VOIDED,
        before,
        "issued in error",
        ops,
    )
    assert reconciled()


@pytest.mark.parametrize("reason", ["", "  "])
def test_void_needs_a_reason(vehicle, reason):
    voucher = voucher_for(vehicle)

    with pytest.raises(ReasonRequired):
        voucher_void(voucher=voucher, reason=reason)

    assert fresh(voucher).status == Status.ACTIVE
    assert reconciled()


def test_a_held_voucher_is_voided_only_by_force(vehicle, dealer):
    voucher = voucher_for(vehicle)
    voucher_hold(voucher=voucher, vehicle=vehicle, dealer=dealer)

    with pytest.raises(InvalidTransition):
        voucher_void(voucher=voucher, reason="car sold")
    assert fresh(voucher).status == Status.HELD

    voucher_void(voucher=voucher, reason="car sold", force=True)
    assert fresh(voucher).status == Status.VOIDED
    assert reconciled()


@pytest.mark.parametrize("state", ["used", "voided", "expired"])
def test_a_closed_voucher_cannot_be_voided(vehicle, dealer, state):
    voucher = voucher_for(vehicle, validity_days=1)
    if state == "used":
        voucher_redeem(voucher=voucher, vehicle=vehicle, dealer=dealer)
    elif state == "voided":
        voucher_void(voucher=voucher, reason="first")
    else:
        vouchers_expire_due(now=T0 + timedelta(days=3))
    entries = voucher.ledger.count()

    with pytest.raises(InvalidTransition):
        voucher_void(voucher=voucher, reason="again", force=True)

    assert voucher.ledger.count() == entries
    assert reconciled()


# --- extend ------------------------------------------------------------------------------------


def test_extend_moves_the_end_of_validity_later(vehicle, ops):
    voucher = voucher_for(vehicle, validity_days=30)
    old = fresh(voucher).valid_until
    new = old + timedelta(days=60)

    entry = voucher_extend(
        voucher=voucher,
        valid_until=new,
        reason="goodwill",
        actor=Actor.operations(ops),
        now=T0 + timedelta(days=1),
    )

    voucher = fresh(voucher)
    assert voucher.valid_until == new
    assert voucher.status == Status.ACTIVE
    assert entry.kind == Kind.EXTENDED
    assert entry.data == {"valid_until_before": old.isoformat(), "valid_until_after": new.isoformat()}
    assert reconciled()


@pytest.mark.parametrize("when", ["earlier", "same"])
def test_extend_refuses_an_end_that_is_not_later(vehicle, when):
    voucher = voucher_for(vehicle, validity_days=30)
    old = fresh(voucher).valid_until
    new = {"earlier": old - timedelta(days=1), "same": old}[when]

    with pytest.raises(InvalidValidity):
        voucher_extend(voucher=voucher, valid_until=new, reason="x", now=T0 + timedelta(days=1))

    assert fresh(voucher).valid_until == old
    assert kinds(voucher) == [Kind.ISSUED]


def test_extend_refuses_an_end_already_in_the_past(vehicle):
    voucher = voucher_for(vehicle, validity_days=1)
    old = fresh(voucher).valid_until
    now = T0 + timedelta(days=10)
    later_but_past = now - timedelta(hours=1)
    assert old < later_but_past

    with pytest.raises(InvalidValidity):
        voucher_extend(voucher=voucher, valid_until=later_but_past, reason="x", now=now)

    assert fresh(voucher).valid_until == old
    assert kinds(voucher) == [Kind.ISSUED]


def test_extend_refuses_to_give_a_no_expiry_voucher_an_end(vehicle):
    voucher = voucher_for(vehicle, validity_policy=Policy.NO_EXPIRY)

    with pytest.raises(InvalidValidity):
        voucher_extend(voucher=voucher, valid_until=T0 + timedelta(days=365), reason="x")

    assert fresh(voucher).valid_until is None
    assert kinds(voucher) == [Kind.ISSUED]


def test_extend_needs_a_reason(vehicle):
    voucher = voucher_for(vehicle, validity_days=30)

    with pytest.raises(ReasonRequired):
        voucher_extend(voucher=voucher, valid_until=T0 + timedelta(days=90), reason=" ")


@pytest.mark.parametrize(
    ("mode", "back_to"), [(Mode.AUTOMATIC, Status.ACTIVE), (Mode.HOLDER, Status.INACTIVE)]
)
def test_an_expired_voucher_extended_becomes_usable_again(vehicle, dealer, mode, back_to):
    voucher = voucher_for(vehicle, validity_days=5, activation_mode=mode)
    later = T0 + timedelta(days=10)
    assert vouchers_expire_due(now=later) == 1
    assert fresh(voucher).status == Status.EXPIRED

    voucher_extend(voucher=voucher, valid_until=later + timedelta(days=30), reason="goodwill", now=later)

    assert fresh(voucher).status == back_to
    if back_to == Status.INACTIVE:
        voucher_activate(voucher=voucher, via="operations", now=later)
    voucher_redeem(voucher=voucher, vehicle=vehicle, dealer=dealer, now=later + timedelta(days=1))
    assert fresh(voucher).status == Status.USED
    assert reconciled()


def test_a_used_voucher_cannot_be_extended(vehicle, dealer):
    voucher = voucher_for(vehicle, validity_days=5)
    voucher_redeem(voucher=voucher, vehicle=vehicle, dealer=dealer)

    with pytest.raises(InvalidTransition):
        voucher_extend(voucher=voucher, valid_until=T0 + timedelta(days=90), reason="x")


# --- lock / unlock -----------------------------------------------------------------------------


@pytest.mark.parametrize(("mode", "state"), [(Mode.AUTOMATIC, Status.ACTIVE), (Mode.HOLDER, Status.INACTIVE)])
def test_lock_freezes_and_unlock_restores(vehicle, dealer, mode, state):
    voucher = voucher_for(vehicle, activation_mode=mode)

    locked = voucher_lock(voucher=voucher, reason="dispute")
    assert fresh(voucher).status == Status.LOCKED
    assert (locked.kind, locked.data) == (Kind.LOCKED, {"previous": state})
    expect_not_usable(
        lambda: voucher_redeem(voucher=voucher, vehicle=vehicle, dealer=dealer), "voucher_locked"
    )

    unlocked = voucher_unlock(voucher=voucher, reason="resolved")
    assert fresh(voucher).status == state
    assert (unlocked.kind, unlocked.status_after) == (Kind.UNLOCKED, state)
    assert reconciled()


def test_lock_and_unlock_need_a_reason(vehicle):
    voucher = voucher_for(vehicle)

    with pytest.raises(ReasonRequired):
        voucher_lock(voucher=voucher, reason="")
    voucher_lock(voucher=voucher, reason="dispute")
    with pytest.raises(ReasonRequired):
        voucher_unlock(voucher=voucher, reason="")

    assert fresh(voucher).status == Status.LOCKED
    assert reconciled()


def test_lock_needs_an_open_voucher_and_unlock_a_locked_one(vehicle, dealer):
    used = voucher_for(vehicle)
    voucher_redeem(voucher=used, vehicle=vehicle, dealer=dealer)
    active = voucher_for(vehicle)

    with pytest.raises(InvalidTransition):
        voucher_lock(voucher=used, reason="x")
    with pytest.raises(InvalidTransition):
        voucher_unlock(voucher=active, reason="x")
    assert reconciled()


def test_unlock_is_refused_while_a_refund_waits(vehicle):
    voucher = voucher_for(vehicle, refundable=True)
    voucher_refund_request(voucher=voucher, member=None, reason="moving abroad")

    with pytest.raises(InvalidTransition):
        voucher_unlock(voucher=voucher, reason="x")

    assert fresh(voucher).status == Status.LOCKED
    assert reconciled()


# --- refunds -----------------------------------------------------------------------------------


def test_refund_request_locks_the_voucher_and_records_the_amount(owner, vehicle):
    voucher = voucher_for(vehicle, refundable=True, face_value_twd=1200, uses_per_voucher=3)

    refund = voucher_refund_request(voucher=voucher, member=owner, reason="moving abroad")

    assert fresh(voucher).status == Status.LOCKED
    assert (refund.status, refund.amount_twd, refund.member, refund.reason) == (
        RefundRequest.Status.PENDING,
        1200,
        owner,
        "moving abroad",
    )
    entry = voucher.ledger.order_by("pk").last()
    assert (entry.kind, entry.actor_label) == (Kind.REFUND_REQUESTED, f"owner:{owner.pk}")
    assert reconciled()


def test_refund_is_not_allowed_when_the_definition_says_so(owner, vehicle):
    voucher = voucher_for(vehicle, refundable=False)

    with pytest.raises(RefundNotAllowed):
        voucher_refund_request(voucher=voucher, member=owner)

    assert fresh(voucher).status == Status.ACTIVE
    assert not RefundRequest.objects.exists()


def test_refund_is_not_allowed_once_partly_used(owner, vehicle, dealer):
    voucher = voucher_for(vehicle, refundable=True, uses_per_voucher=3)
    voucher_redeem(voucher=voucher, vehicle=vehicle, dealer=dealer)

    with pytest.raises(RefundNotAllowed):
        voucher_refund_request(voucher=voucher, member=owner)

    assert fresh(voucher).status == Status.ACTIVE
    assert not RefundRequest.objects.exists()
    assert reconciled()


def test_refund_of_a_used_voucher_is_refused(owner, vehicle, dealer):
    voucher = voucher_for(vehicle, refundable=True)
    voucher_redeem(voucher=voucher, vehicle=vehicle, dealer=dealer)

    with pytest.raises((RefundNotAllowed, InvalidTransition)):
        voucher_refund_request(voucher=voucher, member=owner)

    assert not RefundRequest.objects.exists()


def test_refund_past_the_end_of_validity_is_refused_even_before_the_sweep(owner, vehicle):
    voucher = voucher_for(vehicle, refundable=True, validity_days=1)

    with pytest.raises(RefundNotAllowed):
        voucher_refund_request(voucher=voucher, member=owner, now=voucher.valid_until + timedelta(seconds=1))

    assert fresh(voucher).status == Status.ACTIVE
    assert kinds(voucher) == [Kind.ISSUED]
    assert not RefundRequest.objects.exists()


def test_refund_request_replay_returns_the_same_request(owner, vehicle):
    voucher = voucher_for(vehicle, refundable=True)

    first = voucher_refund_request(voucher=voucher, member=owner, idempotency_key="r-1")
    again = voucher_refund_request(voucher=voucher, member=owner, idempotency_key="r-1")

    assert again.pk == first.pk
    assert RefundRequest.objects.count() == 1
    assert reconciled()


def test_approving_a_refund_marks_the_voucher_refunded(owner, vehicle, dealer, ops):
    voucher = voucher_for(vehicle, refundable=True, face_value_twd=800)
    refund = voucher_refund_request(voucher=voucher, member=owner)
    now = T0 + timedelta(days=2)

    decided = refund_approve(refund=refund, actor=Actor.operations(ops), reason="ok", now=now)

    assert fresh(voucher).status == Status.REFUNDED
    refund.refresh_from_db()
    assert (refund.status, refund.decided_by, refund.decided_at) == (RefundRequest.Status.APPROVED, ops, now)
    assert decided.pk == refund.pk
    entry = voucher.ledger.order_by("pk").last()
    assert (entry.kind, entry.data) == (Kind.REFUND_APPROVED, {"refund": refund.pk, "amount_twd": 800})
    expect_not_usable(
        lambda: voucher_redeem(voucher=voucher, vehicle=vehicle, dealer=dealer), "voucher_refunded"
    )
    with pytest.raises(InvalidTransition):
        refund_approve(refund=refund, actor=Actor.operations(ops))
    assert reconciled()


@pytest.mark.parametrize(
    ("mode", "back_to"), [(Mode.AUTOMATIC, Status.ACTIVE), (Mode.HOLDER, Status.INACTIVE)]
)
def test_rejecting_a_refund_gives_the_voucher_back(owner, vehicle, ops, mode, back_to):
    voucher = voucher_for(vehicle, refundable=True, activation_mode=mode)
    refund = voucher_refund_request(voucher=voucher, member=owner)

    refund_reject(refund=refund, actor=Actor.operations(ops), reason="outside the refund period")

    assert fresh(voucher).status == back_to
    refund.refresh_from_db()
    assert (refund.status, refund.decision_reason) == (
        RefundRequest.Status.REJECTED,
        "outside the refund period",
    )
    with pytest.raises(InvalidTransition):
        refund_approve(refund=refund, actor=Actor.operations(ops))
    assert fresh(voucher).status == back_to
    assert reconciled()


def test_rejecting_a_refund_needs_a_reason(owner, vehicle, ops):
    voucher = voucher_for(vehicle, refundable=True)
    refund = voucher_refund_request(voucher=voucher, member=owner)

    with pytest.raises(ReasonRequired):
        refund_reject(refund=refund, actor=Actor.operations(ops), reason="")

    refund.refresh_from_db()
    assert refund.status == RefundRequest.Status.PENDING
    assert fresh(voucher).status == Status.LOCKED


# --- expiry sweep ------------------------------------------------------------------------------


def test_the_sweep_expires_only_open_vouchers_past_their_validity(vehicle, dealer):
    active_past = voucher_for(vehicle, validity_days=5)
    inactive_past = voucher_for(vehicle, validity_days=5, activation_mode=Mode.HOLDER)
    active_current = voucher_for(vehicle, validity_days=60)
    no_expiry = voucher_for(vehicle, validity_policy=Policy.NO_EXPIRY)
    waiting_for_activation = voucher_for(
        vehicle, validity_policy=Policy.DAYS_FROM_ACTIVATION, validity_days=5, activation_mode=Mode.HOLDER
    )
    held_past = voucher_for(vehicle, validity_days=5)
    voucher_hold(voucher=held_past, vehicle=vehicle, dealer=dealer)
    locked_past = voucher_for(vehicle, validity_days=5)
    voucher_lock(voucher=locked_past, reason="dispute")
    used_past = voucher_for(vehicle, validity_days=5)
    voucher_redeem(voucher=used_past, vehicle=vehicle, dealer=dealer)
    later = T0 + timedelta(days=10)

    assert vouchers_expire_due(now=later) == 2

    expected = {
        active_past: Status.EXPIRED,
        inactive_past: Status.EXPIRED,
        active_current: Status.ACTIVE,
        no_expiry: Status.ACTIVE,
        waiting_for_activation: Status.INACTIVE,
        held_past: Status.HELD,
        locked_past: Status.LOCKED,
        used_past: Status.USED,
    }
    assert {v: fresh(v).status for v in expected} == expected
    for voucher, before in ((active_past, Status.ACTIVE), (inactive_past, Status.INACTIVE)):
        entry = voucher.ledger.order_by("pk").last()
        assert (entry.kind, entry.status_before, entry.status_after, entry.delta) == (
            Kind.EXPIRED,
            before,
            Status.EXPIRED,
            0,
        )
        assert entry.uses_left_after == 1
        assert fresh(voucher).status_changed_at == later
    assert reconciled()


def test_the_sweep_is_idempotent(vehicle):
    voucher_for(vehicle, validity_days=5)
    later = T0 + timedelta(days=10)

    assert vouchers_expire_due(now=later) == 1
    assert vouchers_expire_due(now=later) == 0
    assert vouchers_expire_due(now=later + timedelta(days=1)) == 0
    assert LedgerEntry.objects.filter(kind=Kind.EXPIRED).count() == 1
    assert reconciled()


def test_the_sweep_works_through_batches(vehicle):
    for _ in range(5):
        voucher_for(vehicle, validity_days=5)

    assert vouchers_expire_due(now=T0 + timedelta(days=10), batch_size=2) == 5
    assert Voucher.objects.filter(status=Status.EXPIRED).count() == 5
    assert reconciled()


def test_the_sweep_pages_by_voucher_id_and_says_when_it_is_done(vehicle):
    vouchers = sorted((voucher_for(vehicle, validity_days=5) for _ in range(5)), key=lambda v: v.pk)
    voucher_for(vehicle, validity_days=50)  # not due
    later = T0 + timedelta(days=10)

    assert vouchers_expire_batch(now=later, after=0, batch_size=2) == (2, vouchers[1].pk)
    # resumed after the last id done: the first two are not read again
    assert vouchers_expire_batch(now=later, after=vouchers[1].pk, batch_size=2) == (2, vouchers[3].pk)
    assert vouchers_expire_batch(now=later, after=vouchers[3].pk, batch_size=2) == (1, None)
    assert [fresh(v).status for v in vouchers] == [Status.EXPIRED] * 5
    assert LedgerEntry.objects.filter(kind=Kind.EXPIRED).count() == 5
    assert reconciled()


def test_the_sweep_leaves_a_voucher_valid_until_the_end_of_its_last_day(vehicle):
    voucher = voucher_for(vehicle, validity_days=5)
    valid_until = fresh(voucher).valid_until

    assert vouchers_expire_due(now=valid_until) == 0
    assert vouchers_expire_due(now=valid_until + timedelta(seconds=1)) == 1


# --- replays and the append-only ledger --------------------------------------------------------


def test_redeem_replay_returns_the_first_entry_and_changes_nothing(vehicle, dealer):
    voucher = voucher_for(vehicle, uses_per_voucher=3)

    first = voucher_redeem(voucher=voucher, vehicle=vehicle, dealer=dealer, idempotency_key="terminal-7:1")
    again = voucher_redeem(voucher=voucher, vehicle=vehicle, dealer=dealer, idempotency_key="terminal-7:1")

    assert again.pk == first.pk
    assert fresh(voucher).uses_left == 2
    assert kinds(voucher) == [Kind.ISSUED, Kind.REDEEMED]
    assert reconciled()


def test_a_replay_is_answered_even_when_acting_again_would_be_refused(vehicle, dealer):
    voucher = voucher_for(vehicle)

    first = voucher_redeem(voucher=voucher, vehicle=vehicle, dealer=dealer, idempotency_key="k")
    again = voucher_redeem(voucher=voucher, vehicle=vehicle, dealer=dealer, idempotency_key="k")

    assert again.pk == first.pk
    assert fresh(voucher).status == Status.USED


@pytest.mark.parametrize("service", ["hold", "release", "void"])
def test_other_services_replay_too(vehicle, dealer, service):
    voucher = voucher_for(vehicle)
    if service == "release":
        voucher_hold(voucher=voucher, vehicle=vehicle, dealer=dealer)
    calls = {
        "hold": lambda: voucher_hold(voucher=voucher, vehicle=vehicle, dealer=dealer, idempotency_key="k"),
        "release": lambda: voucher_release_hold(voucher=voucher, idempotency_key="k"),
        "void": lambda: voucher_void(voucher=voucher, reason="x", idempotency_key="k"),
    }

    first = calls[service]()
    entries = voucher.ledger.count()
    again = calls[service]()

    assert again.pk == first.pk
    assert voucher.ledger.count() == entries
    assert reconciled()


@pytest.mark.parametrize("second", ["void", "hold", "activate", "reverse"])
def test_the_same_key_for_another_action_is_refused(vehicle, dealer, second):
    voucher = voucher_for(vehicle, uses_per_voucher=2)
    redeemed = voucher_redeem(voucher=voucher, vehicle=vehicle, dealer=dealer, idempotency_key="k")
    calls = {
        "void": lambda: voucher_void(voucher=voucher, reason="x", idempotency_key="k"),
        "hold": lambda: voucher_hold(voucher=voucher, vehicle=vehicle, dealer=dealer, idempotency_key="k"),
        "activate": lambda: voucher_activate(voucher=voucher, via="operations", idempotency_key="k"),
        "reverse": lambda: voucher_reverse_use(
            voucher=voucher, redeemed_entry=redeemed, reason="x", idempotency_key="k"
        ),
    }

    with pytest.raises(IdempotencyKeyReused):
        calls[second]()

    voucher = fresh(voucher)
    assert (voucher.status, voucher.uses_left) == (Status.ACTIVE, 1)
    assert kinds(voucher) == [Kind.ISSUED, Kind.REDEEMED]
    assert reconciled()


def test_the_same_key_on_another_voucher_is_a_new_request(vehicle, dealer):
    a, b = voucher_for(vehicle), voucher_for(vehicle)

    first = voucher_redeem(voucher=a, vehicle=vehicle, dealer=dealer, idempotency_key="k")
    second = voucher_redeem(voucher=b, vehicle=vehicle, dealer=dealer, idempotency_key="k")

    assert first.pk != second.pk
    assert fresh(a).status == fresh(b).status == Status.USED
    assert reconciled()


def test_ledger_entries_cannot_be_updated_or_deleted(vehicle):
    voucher = voucher_for(vehicle)
    entry = voucher.ledger.get()

    entry.reason = "rewritten history"
    with pytest.raises(ValueError):
        entry.save()
    with pytest.raises(ValueError):
        entry.delete()

    stored = LedgerEntry.objects.get(pk=entry.pk)
    assert stored.reason == ""
    assert reconciled()


@pytest.mark.postgres
def test_the_database_refuses_to_update_or_delete_ledger_entries(vehicle):
    voucher = voucher_for(vehicle)
    entries = LedgerEntry.objects.filter(voucher=voucher)

    with pytest.raises(DatabaseError), transaction.atomic():
        entries.update(reason="rewritten history")
    with pytest.raises(DatabaseError), transaction.atomic():
        entries.delete()

    assert list(entries.values_list("reason", flat=True)) == [""]
    assert reconciled()


def test_the_database_refuses_a_second_reversal_of_one_redemption(vehicle, dealer):
    """AlreadyReversed is checked under the voucher's lock; the database backs it, so no path that
    skips the check can give one use back twice."""
    voucher = voucher_for(vehicle, uses_per_voucher=3)
    first = voucher_redeem(voucher=voucher, vehicle=vehicle, dealer=dealer)
    voucher_redeem(voucher=voucher, vehicle=vehicle, dealer=dealer)
    voucher_reverse_use(voucher=voucher, redeemed_entry=first, reason="wrong car")
    again = LedgerEntry(
        voucher=voucher,
        kind=Kind.REVERSED,
        delta=+1,
        status_before=Status.ACTIVE,
        status_after=Status.ACTIVE,
        uses_left_after=3,
        data={"reverses": first.pk},
    )

    with pytest.raises(IntegrityError), transaction.atomic():
        again.save()

    assert voucher.ledger.filter(kind=Kind.REVERSED).count() == 1
    assert reconciled()


@pytest.mark.parametrize("state", [Status.INACTIVE, Status.ACTIVE, Status.HELD, Status.LOCKED])
def test_the_database_refuses_an_open_voucher_without_a_use_left(vehicle, state):
    voucher = voucher_for(vehicle, uses_per_voucher=2)

    with pytest.raises(IntegrityError), transaction.atomic():
        Voucher.objects.filter(pk=voucher.pk).update(status=state, uses_left=0)

    assert fresh(voucher).uses_left == 2


# --- definitions -------------------------------------------------------------------------------


def draft(**kwargs) -> VoucherDefinition:
    return DefinitionFactory(**{"status": DefStatus.DRAFT, "channel_event": False, **kwargs})


def test_publishing_a_valid_definition(ops):
    definition = draft()
    now = T0 + timedelta(hours=3)

    definition_publish(definition=definition, actor=ops, now=now)

    definition.refresh_from_db()
    assert definition.status == DefStatus.PUBLISHED
    assert definition.published_at == now


@pytest.mark.parametrize(
    "kwargs",
    [
        {"kind": VoucherDefinition.Kind.PAID},
        {"kind": VoucherDefinition.Kind.COMPLIMENTARY, "channel_bundle": True},
        {
            "kind": VoucherDefinition.Kind.PAID,
            "validity_policy": Policy.FIXED,
            "valid_until_date": date(2030, 1, 1),
        },
        {"kind": VoucherDefinition.Kind.PAID, "validity_policy": Policy.DAYS_FROM_ACTIVATION},
        {"kind": VoucherDefinition.Kind.PAID, "validity_policy": Policy.DELIVERY_WINDOW},
    ],
)
def test_a_sold_voucher_with_an_expiry_is_refused_under_taiwans_rules(kwargs):
    definition = draft(**kwargs)

    with pytest.raises(PublishRefused) as caught:
        definition_publish(definition=definition)

    assert "禮券" in caught.value.message
    definition.refresh_from_db()
    assert definition.status == DefStatus.DRAFT
    assert definition.published_at is None


@pytest.mark.parametrize(
    "kwargs", [{"kind": VoucherDefinition.Kind.PAID}, {"channel_bundle": True}], ids=["paid", "bundle"]
)
def test_a_sold_voucher_without_expiry_is_published(kwargs):
    definition = draft(validity_policy=Policy.NO_EXPIRY, **kwargs)

    definition_publish(definition=definition)

    assert definition.status == DefStatus.PUBLISHED


def test_the_taiwan_rule_is_a_setting(settings):
    settings.VOUCHERS_TAIWAN_PAID_NO_EXPIRY = False
    definition = draft(kind=VoucherDefinition.Kind.PAID, validity_days=365)

    definition_publish(definition=definition)

    definition.refresh_from_db()
    assert definition.status == DefStatus.PUBLISHED


def test_free_and_promotional_vouchers_may_expire():
    for kind in (VoucherDefinition.Kind.COMPLIMENTARY, VoucherDefinition.Kind.PROMOTIONAL):
        definition = draft(kind=kind, validity_days=30)
        definition_publish(definition=definition)
        assert definition.status == DefStatus.PUBLISHED


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"validity_policy": Policy.FIXED}, "end date"),
        (
            {
                "validity_policy": Policy.FIXED,
                "valid_from_date": date(2025, 5, 1),
                "valid_until_date": date(2025, 4, 1),
            },
            "before the start",
        ),
        ({"validity_policy": Policy.DAYS_FROM_ISSUE, "validity_days": None}, "number of days"),
        ({"validity_policy": Policy.DAYS_FROM_ACTIVATION, "validity_days": 0}, "number of days"),
        ({"validity_policy": Policy.DELIVERY_WINDOW, "holder_type": Holder.MEMBER}, "vehicle holder"),
        (
            {
                "channel_manual": False,
                "channel_claim": False,
                "channel_event": False,
                "channel_api": False,
                "channel_bundle": False,
            },
            "issue channel",
        ),
        ({"channel_event": True, "trigger_event": ""}, "event"),
        ({"claim_starts_at": T0, "claim_ends_at": T0 - timedelta(days=1)}, "claim window"),
    ],
)
def test_other_publish_problems_are_named_and_refused(kwargs, words):
    definition = draft(**kwargs)

    problems = definition_publish_problems(definition)
    with pytest.raises(PublishRefused) as caught:
        definition_publish(definition=definition)

    assert len(problems) == 1
    assert words in problems[0]
    assert words in caught.value.message
    definition.refresh_from_db()
    assert definition.status == DefStatus.DRAFT


def test_every_problem_is_reported_at_once():
    definition = draft(
        kind=VoucherDefinition.Kind.PAID,
        validity_policy=Policy.FIXED,
        channel_manual=False,
        channel_claim=False,
        channel_api=False,
    )

    assert len(definition_publish_problems(definition)) == 3


def test_an_archived_definition_cannot_be_published_again():
    definition = draft(status=DefStatus.ARCHIVED)

    with pytest.raises(InvalidTransition):
        definition_publish(definition=definition)

    definition.refresh_from_db()
    assert definition.status == DefStatus.ARCHIVED


def test_pause_resume_and_archive(vehicle):
    definition = draft()
    definition_publish(definition=definition, now=T0)
    first_published = definition.published_at

    definition_set_status(definition=definition, status=DefStatus.PAUSED)
    assert VoucherDefinition.objects.get(pk=definition.pk).status == DefStatus.PAUSED
    definition_set_status(definition=definition, status=DefStatus.PUBLISHED)
    resumed = VoucherDefinition.objects.get(pk=definition.pk)
    assert resumed.status == DefStatus.PUBLISHED
    assert resumed.published_at == first_published
    issued = issue_voucher(definition, vehicle=vehicle)
    definition_set_status(definition=definition, status=DefStatus.ARCHIVED)

    assert VoucherDefinition.objects.get(pk=definition.pk).status == DefStatus.ARCHIVED
    assert fresh(issued).status == Status.ACTIVE  # issued vouchers are not touched


@pytest.mark.parametrize(
    ("start", "target"), [(DefStatus.DRAFT, DefStatus.PAUSED), (DefStatus.PUBLISHED, "draft")]
)
def test_status_changes_that_make_no_sense_are_refused(start, target):
    definition = draft(status=start)

    with pytest.raises(InvalidTransition):
        definition_set_status(definition=definition, status=target)

    definition.refresh_from_db()
    assert definition.status == start


def test_an_unpublished_definition_issues_nothing_but_its_vouchers_stay_usable(vehicle, dealer):
    definition = draft()
    definition_publish(definition=definition)
    voucher = issue_voucher(definition, vehicle=vehicle)

    definition_set_status(definition=definition, status=DefStatus.PAUSED)

    voucher_redeem(voucher=voucher, vehicle=vehicle, dealer=dealer)
    assert fresh(voucher).status == Status.USED
    assert reconciled()


def test_vehicle_held_vouchers_need_no_member(dealer):
    vehicle = VehicleFactory()
    voucher = voucher_for(vehicle)

    voucher_redeem(voucher=voucher, vehicle=vehicle, dealer=dealer)

    assert fresh(voucher).status == Status.USED


def test_void_of_a_voucher_with_a_pending_refund_closes_the_refund():
    from tests.factories import DefinitionFactory, OwnedVehicleFactory, issue_voucher
    from vouchers.models import RefundRequest
    from vouchers.services import voucher_refund_request, voucher_void

    vehicle = OwnedVehicleFactory()
    voucher = issue_voucher(DefinitionFactory(refundable=True), vehicle=vehicle)
    refund = voucher_refund_request(voucher=voucher, member=None, reason="no longer needed")
    voucher_void(voucher=voucher, reason="issued twice")
    refund.refresh_from_db()
    assert refund.status == RefundRequest.Status.REJECTED
    assert refund.decision_reason == "issued twice"
    assert not RefundRequest.objects.filter(voucher=voucher, status=RefundRequest.Status.PENDING).exists()
