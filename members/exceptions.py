from django.utils.translation import gettext_lazy as _

from config.errors import DomainError


class InvalidPhone(DomainError):
    code = "invalid_phone"
    default_message = _("Enter a valid mobile number, for example 0912-345-678.")
    http_status = 400


class MemberNotFound(DomainError):
    code = "member_not_found"
    title = _("Member not found")
    default_message = _("No member has this mobile number.")
    http_status = 404


class RateLimited(DomainError):
    code = "rate_limited"
    default_message = _("Too many attempts. Please wait %(retry_after)s seconds and try again.")
    http_status = 429

    def __init__(self, *, retry_after: int):
        self.retry_after = retry_after
        super().__init__(retry_after=retry_after)


class MemberErased(DomainError):
    """The member's personal data was erased: nothing more can be done for or to them."""

    code = "member_erased"
    title = _("Member's data erased")
    default_message = _("This member's personal data has already been erased.")
    http_status = 409


class ErasureRequestNotPending(DomainError):
    code = "erasure_request_not_pending"
    title = _("Erasure request already decided")
    default_message = _("This erasure request has already been decided.")
    http_status = 409


class LoginThrottled(DomainError):
    """Too many wrong passwords for one account from one address: that pair waits, nobody else does."""

    code = "login_throttled"
    title = _("Too many wrong passwords")
    default_message = _(
        "Too many wrong passwords for this account from this address. You can try again at %(retry_at)s "
        "(Taiwan time)."
    )
    http_status = 429

    def __init__(self, *, retry_after: int, retry_at: str):
        self.retry_after = retry_after
        super().__init__(retry_after=retry_after, retry_at=retry_at)


class LineAccountLinkedElsewhere(DomainError):
    """A LINE account signs in one member only: its user id is already another member's."""

    code = "line_account_linked_elsewhere"
    title = _("LINE account linked to another member")
    default_message = _(
        "This LINE account is already linked to another member. Sign in with that member's mobile "
        "number and unlink it in Settings first."
    )
    http_status = 409


class MemberLinkedToOtherLine(DomainError):
    """The member already has a LINE account; a second one would silently replace it."""

    code = "member_linked_to_other_line"
    title = _("Member linked to another LINE account")
    default_message = _(
        "Your membership is already linked to another LINE account. Unlink it in Settings before "
        "linking this one."
    )
    http_status = 409
