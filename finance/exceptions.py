from django.utils.translation import gettext_lazy as _

from config.errors import DomainError


class StatementLocked(DomainError):
    code = "statement_locked"
    default_message = _(
        "This settlement statement is approved and can no longer change; corrections go into the next "
        "month's statement."
    )


class StatementNotApproved(DomainError):
    code = "statement_not_approved"
    default_message = _("Only an approved statement can be exported.")


class StatementMonthOpen(DomainError):
    code = "statement_month_open"
    default_message = _("A month can be settled only after it has ended.")


class InvalidBreakageRate(DomainError):
    code = "invalid_breakage_rate"
    default_message = _("The expected breakage rate must be at least 0 % and below 100 %.")
    http_status = 400
