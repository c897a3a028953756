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


def fit_to_column(model, field_name: str, text) -> str:
    """`text` cut to the length of `model.field_name`, so a long value is shortened rather than
    refused by the database (PostgreSQL enforces varchar lengths; SQLite does not).

    The limit is read from the field, so it follows a change of `max_length`; a field without one
    (TextField) takes the text whole.
    """
    text = str(text)
    limit = model._meta.get_field(field_name).max_length
    return text[:limit] if limit else text
