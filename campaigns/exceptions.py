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


class SurveyLinkInvalid(DomainError):
    code = "survey_link_invalid"
    default_message = _("This survey link is not valid. Please use the link from your message.")
    http_status = 400


class SurveyLinkExpired(DomainError):
    code = "survey_link_expired"
    default_message = _("This survey link has expired. Thank you all the same.")
    http_status = 410


class SurveyAlreadyAnswered(DomainError):
    code = "survey_already_answered"
    default_message = _("This survey has already been answered. Thank you!")
    http_status = 409


class SurveyScoreInvalid(DomainError):
    code = "survey_score_invalid"
    default_message = _("Please choose a score from 0 to 10.")
    http_status = 400
