from django.utils.translation import gettext_lazy as _

from config.errors import DomainError


class InsufficientPoints(DomainError):
    code = "points_insufficient"
    default_message = _("Not enough points: %(balance)s available, %(needed)s needed.")


class PointsMustChange(DomainError):
    code = "points_zero"
    default_message = _("Give a number of points other than zero.")
    http_status = 400


class ReasonRequired(DomainError):
    code = "reason_required"
    default_message = _("Please give a reason.")
    http_status = 400


class AlreadyReturned(DomainError):
    code = "points_already_returned"
    default_message = _("These points have been given back already.")


class OfferClosed(DomainError):
    code = "exchange_offer_closed"
    default_message = _("This offer is no longer available.")


class ExchangeLimitReached(DomainError):
    code = "exchange_limit_reached"
    default_message = _("You have exchanged this voucher as many times as allowed.")


class ExchangeNotCancellable(DomainError):
    code = "exchange_not_cancellable"
    default_message = _("This exchange cannot be cancelled: its voucher has been used or cancelled.")


class ReferralCodeUnknown(DomainError):
    code = "referral_code_unknown"
    default_message = _("This referral code is not valid.")
    http_status = 400


class SelfReferral(DomainError):
    code = "referral_self"
    default_message = _("A member cannot refer themselves.")


class ReferralOwnVehicle(DomainError):
    code = "referral_own_vehicle"
    default_message = _("The friend's car is, or was, the referrer's own.")


class ReferralCapReached(DomainError):
    code = "referral_monthly_cap"
    default_message = _("The referrer has had as many referral rewards this month as allowed.")


class ReferrerGone(DomainError):
    code = "referral_referrer_erased"
    default_message = _("The referrer's membership data has been erased.")


# Why a referral was refused, by the code stored on it (back office, portal).
REFERRAL_REFUSALS = {
    error.code: error.default_message
    for error in (SelfReferral, ReferralOwnVehicle, ReferralCapReached, ReferrerGone)
}
