from django.utils.translation import gettext_lazy as _

from config.errors import DomainError


class OptOutLinkInvalid(DomainError):
    code = "opt_out_link_invalid"
    default_message = _("This opt-out link is not valid. Please use the link from your most recent message.")
    http_status = 400


class CampaignNotEditable(DomainError):
    code = "campaign_not_editable"
    default_message = _("This campaign is %(status)s; that action is not possible now.")


class CampaignIncomplete(DomainError):
    code = "campaign_incomplete"
    default_message = _("%(problem)s")


class NotificationNotRetryable(DomainError):
    code = "notification_not_retryable"
    default_message = _("Only failed or skipped messages can be sent again.")


class SignInCodeNotRetryable(DomainError):
    code = "sign_in_code_not_retryable"
    default_message = _("A sign-in code is never sent again; the owner asks for a new one.")


class NotificationTextCleared(DomainError):
    """The text was removed (retention period passed, or the member's data was erased)."""

    code = "notification_text_cleared"
    default_message = _("The text of this message has been removed, so it cannot be sent again.")
