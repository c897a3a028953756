"""Points for vouchers: debit and issue in one transaction, stock and limits, cancellation."""

import pytest
from django.urls import reverse
from django.utils.module_loading import import_string

from loyalty.exceptions import ExchangeLimitReached, ExchangeNotCancellable, InsufficientPoints, OfferClosed
from loyalty.models import Exchange, ExchangeOffer, PointsAccount, PointsEntry
from loyalty.selectors import points_drift
from loyalty.services import exchange_cancel, points_credit, points_exchange
from members.actors import Actor
from tests.factories import DefinitionFactory, MemberFactory
from tests.portal.conftest import english_client, sign_in
from vouchers.exceptions import StockExhausted
from vouchers.models import Voucher, VoucherDefinition
from vouchers.services import voucher_void

from .conftest import SYSTEM

pytestmark = pytest.mark.django_db


@pytest.fixture
def offer(rules):
    definition = DefinitionFactory(holder_type=VoucherDefinition.HolderType.MEMBER, stock_total=3)
    return ExchangeOffer.objects.create(definition=definition, points_price=300, per_member_limit=2)


@pytest.fixture
def member(rules):
    member = MemberFactory()
    points_credit(member=member, kind=PointsEntry.Kind.BONUS, points=1_000, key=None, actor=SYSTEM)
    return member


def _balance(member) -> int:
    return PointsAccount.objects.get(member=member).balance


def _clean():
    accounts, lots = points_drift()
    return not accounts.exists() and not lots.exists()


def test_an_exchange_debits_the_points_and_issues_the_voucher_together(offer, member):
    made = points_exchange(offer=offer, member=member, idempotency_key="k1")
    assert _balance(member) == 700
    assert (made.entry.kind, made.entry.delta) == (PointsEntry.Kind.EXCHANGED, -300)
    assert (made.voucher.member_id, made.voucher.source, made.voucher.definition_id) == (
        member.pk,
        Voucher.Source.POINTS,
        offer.definition_id,
    )
    again = points_exchange(offer=offer, member=member, idempotency_key="k1")  # a double submit
    assert again.pk == made.pk and _balance(member) == 700
    assert _clean()


def test_too_few_points_are_refused_and_nothing_is_issued(offer, rules):
    poor = MemberFactory()
    points_credit(member=poor, kind=PointsEntry.Kind.BONUS, points=299, key=None, actor=SYSTEM)
    with pytest.raises(InsufficientPoints):
        points_exchange(offer=offer, member=poor, idempotency_key="k")
    assert not Voucher.objects.exists() and _balance(poor) == 299


def test_the_per_member_limit_holds(offer, member):
    points_exchange(offer=offer, member=member, idempotency_key="a")
    points_exchange(offer=offer, member=member, idempotency_key="b")
    with pytest.raises(ExchangeLimitReached):
        points_exchange(offer=offer, member=member, idempotency_key="c")
    assert _balance(member) == 400


def test_no_stock_refuses_and_gives_no_points_away(offer, member, rules):
    others = [MemberFactory() for _ in range(3)]
    for other in others:
        points_credit(member=other, kind=PointsEntry.Kind.BONUS, points=300, key=None, actor=SYSTEM)
        points_exchange(offer=offer, member=other, idempotency_key="x")
    with pytest.raises(StockExhausted):
        points_exchange(offer=offer, member=member, idempotency_key="late")
    assert _balance(member) == 1_000  # the debit rolled back with the refused issue
    assert not PointsEntry.objects.filter(account__member=member, kind=PointsEntry.Kind.EXCHANGED).exists()


def test_a_closed_offer_is_refused(offer, member):
    ExchangeOffer.objects.filter(pk=offer.pk).update(active=False)
    with pytest.raises(OfferClosed):
        points_exchange(offer=offer, member=member, idempotency_key="k")


def test_a_cancelled_exchange_voids_the_voucher_and_returns_the_points(offer, member):
    made = points_exchange(offer=offer, member=member, idempotency_key="k")
    exchange_cancel(exchange=made, actor=Actor.owner(member), reason="改變心意")
    made.refresh_from_db()
    assert made.status == Exchange.Status.CANCELLED and made.cancelled_at is not None
    assert Voucher.objects.get(pk=made.voucher_id).status == Voucher.Status.VOIDED
    assert _balance(member) == 1_000
    with pytest.raises(ExchangeNotCancellable):
        exchange_cancel(exchange=made, actor=Actor.owner(member), reason="again")
    assert _balance(member) == 1_000
    # the limit counts exchanges kept: the member may exchange twice more
    points_exchange(offer=offer, member=member, idempotency_key="k2")
    points_exchange(offer=offer, member=member, idempotency_key="k3")
    assert _clean()


def test_a_used_voucher_cannot_be_cancelled(offer, member):
    from tests.factories import DealerFactory, OwnedVehicleFactory
    from vouchers.services import voucher_redeem

    made = points_exchange(offer=offer, member=member, idempotency_key="k")
    voucher = made.voucher
    Voucher.objects.filter(pk=voucher.pk).update(status=Voucher.Status.ACTIVE)
    voucher.refresh_from_db()
    vehicle = OwnedVehicleFactory(owner=member)
    voucher_redeem(voucher=voucher, vehicle=vehicle, dealer=DealerFactory(), actor=SYSTEM)
    with pytest.raises(ExchangeNotCancellable):
        exchange_cancel(exchange=made, actor=Actor.owner(member), reason="x")
    assert _balance(member) == 700


def test_a_voucher_voided_in_the_back_office_returns_the_points_once(
    offer, member, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr("loyalty.receivers.async_task", lambda func, *args: import_string(func)(*args))
    made = points_exchange(offer=offer, member=member, idempotency_key="k")
    with django_capture_on_commit_callbacks(execute=True):
        voucher_void(voucher=made.voucher, reason="客服取消", actor=SYSTEM)
    made.refresh_from_db()
    assert made.status == Exchange.Status.CANCELLED and _balance(member) == 1_000
    from loyalty.tasks import exchange_voided

    exchange_voided(made.voucher_id)
    assert _balance(member) == 1_000


# --- the claim centre ------------------------------------------------------------------------------


def test_the_claim_centre_offers_exchanges_and_says_why_not(offer, rules):
    owner = MemberFactory()
    points_credit(member=owner, kind=PointsEntry.Kind.BONUS, points=250, key=None, actor=SYSTEM)
    page = sign_in(english_client(), owner).get(reverse("portal:claim_centre")).content.decode()
    assert "You have 250 points." in page
    assert "Not enough points: 250 available, 300 needed." in page
    assert 'data-test="exchange-button"' not in page


def test_exchanging_and_cancelling_in_the_portal(offer, member):
    client = sign_in(english_client(), member)
    page = client.get(reverse("portal:claim_centre")).content.decode()
    assert 'data-test="exchange-button"' in page
    response = client.post(
        reverse("portal:points_exchange", args=[offer.pk]),
        {"idempotency_key": "tok-0000000000000000000000001"},
    )
    made = Exchange.objects.get()
    assert response["Location"] == reverse("portal:voucher", args=[made.voucher_id])
    page = client.get(reverse("portal:points")).content.decode()
    assert 'data-test="exchange-cancel"' in page
    client.post(reverse("portal:exchange_cancel", args=[made.pk]))
    assert _balance(member) == 1_000


def test_another_members_exchange_cannot_be_cancelled(offer, member, rules):
    made = points_exchange(offer=offer, member=member, idempotency_key="k")
    stranger = sign_in(english_client(), MemberFactory())
    assert stranger.post(reverse("portal:exchange_cancel", args=[made.pk])).status_code == 404
    assert _balance(member) == 700


def test_an_exchange_refused_in_the_portal_shows_why(offer, rules):
    owner = MemberFactory()
    client = sign_in(english_client(), owner)
    response = client.post(
        reverse("portal:points_exchange", args=[offer.pk]),
        {"idempotency_key": "tok-0000000000000000000000002"},
        follow=True,
    )
    assert "code-points_insufficient" in response.content.decode()
    assert not Exchange.objects.exists()
