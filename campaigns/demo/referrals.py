"""Demo referrals: the programme's referral rewards and one referral in each state (rewarded when the
friend bound a car, waiting for the friend's first car or purchase, refused: the referrer's own car),
so the back office's referrals list and the portal's referral page have rows."""

from datetime import datetime, timedelta
from decimal import Decimal

from loyalty.models import Programme
from loyalty.services import referral_code_issue, referral_record, referral_reward
from members.models import Member


def referral_seed(*, owners: list[Member], definitions: dict, now: datetime) -> None:
    Programme.objects.filter(pk=1).update(
        referrer_points=200,
        friend_points=100,
        referrer_definition=definitions["referral-gift"],
        referral_monthly_cap=5,
        point_value_twd=Decimal("0.50"),
    )
    referrer, friend, other = owners[4], owners[5], owners[7]
    signed_up = now - timedelta(days=20)
    code = referral_code_issue(member=referrer).code
    referral_record(friend=friend, code=code, now=signed_up)
    car = friend.ownerships.current().order_by("pk").values_list("vehicle_id", flat=True).first()
    referral_reward(friend_id=friend.pk, trigger="vehicle", ref_id=car, now=signed_up + timedelta(days=3))
    # Signed up two days ago; their first car or purchase is still to come (the demo's members all
    # came from the dealers' files with their cars, so this one stands in for a newcomer).
    referral_record(friend=owners[6], code=code, now=now - timedelta(days=2))
    # A friend who binds a car the referrer owns: refused, as the guard says.
    own_car = referrer.ownerships.current().order_by("pk").values_list("vehicle_id", flat=True).first()
    referral_record(friend=other, code=code, now=signed_up)
    referral_reward(friend_id=other.pk, trigger="vehicle", ref_id=own_car, now=now - timedelta(days=1))
    for member in owners[:10]:
        referral_code_issue(member=member)
