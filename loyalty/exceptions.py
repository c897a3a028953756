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
