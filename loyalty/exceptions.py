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
