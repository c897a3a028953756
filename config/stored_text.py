"""Text the system writes into records (ledger reasons, revocations) in the installation's language.

A reason is read later by whoever opens the record, not by the person whose request wrote it, so it
is stored in `LANGUAGE_CODE` (zh-Hant here), never in the language of the request that happened to
write it.
"""

from django.conf import settings
from django.utils import translation


def stored_text(message, **params) -> str:
    """`message` (a lazy translatable string) in the installation's language, `params` filled in."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(message) % params if params else str(message)
