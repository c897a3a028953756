"""Message templates: defaults shipped in templates/campaigns/messages/, rendered from a safe context.

A template file is `<key>.<language>.txt`: the e-mail subject on the first line, a blank line, then
the text. Operations edit the copies in MessageTemplate; the files are only the defaults.

Rendering uses an engine of its own with no template loaders and no loadable libraries, and the
context holds only strings, numbers and lists of dicts of them, so a template can neither include
files nor reach model methods.
"""

from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.template import Context, Engine, TemplateSyntaxError
from django.utils import formats, translation

DEFAULTS_DIR = Path(settings.BASE_DIR) / "templates" / "campaigns" / "messages"
FALLBACK_LANGUAGE = "zh-hant"


class _SandboxEngine(Engine):
    # Without loader_tags there is no {% include %} or {% extends %}: a template reads no file.
    default_builtins = ["django.template.defaulttags", "django.template.defaultfilters"]


_engine = _SandboxEngine(
    dirs=[],
    app_dirs=False,
    loaders=[],
    libraries={},
    autoescape=False,
    builtins=["django.contrib.humanize.templatetags.humanize"],
)

# The variables each message's context offers, shown to operations beside the editor.
VARIABLES = {
    "common": [
        "name",
        "portal_url",
        "site_url",
        "opt_out_url (promotional messages)",
        "offer_title, offer_url (a reminder that carries an offer; added at the end when not named)",
    ],
    "login_code": ["code", "minutes"],
    "expiry_reminder": ["vouchers (title, uses_left, code)", "count", "expires_on", "days_left"],
    "unused_value": ["count", "uses_left", "value_twd"],
    "service_reminder": [
        "plate",
        "model",
        "due_on",
        "overdue_days",
        "due_by_mileage",
        "due_km",
        "booking_url",
    ],
    "voucher_issued": ["title", "count", "valid_until"],
    "new_car_care": ["plate", "model", "days"],
    "birthday": ["vouchers (title)"],
    "purchase_anniversary": ["plate", "model", "years", "vouchers (title)"],
    "win_back": ["plate", "model", "months", "vouchers (title)"],
    "tier_upgraded": ["tier"],
    "tier_downgraded": ["tier"],
    "inspection_reminder": ["plate", "model", "due_on", "due_month", "booking_url"],
    "nps_survey": ["dealer", "plate", "survey_url", "valid_days"],
    "booking_confirmed": [
        "dealer",
        "dealer_phone",
        "plate",
        "service",
        "day",
        "slot",
        "note",
        "bookings_url",
    ],
    "booking_proposed": ["dealer", "plate", "service", "day", "slot", "note", "bookings_url"],
    "booking_declined": ["dealer", "plate", "service", "note", "booking_url"],
    "vehicle_alert": [
        "plate",
        "model",
        "kind",
        "severity",
        "critical",
        "message",
        "alert_url",
        "booking_url",
        "vouchers (title)",
    ],
}


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str


class MessageTemplateError(ValueError):
    pass


def default_text(key: str, language: str) -> tuple[str, str]:
    """(subject, body) of the shipped default."""
    path = DEFAULTS_DIR / f"{key}.{language}.txt"
    if not path.exists():
        path = DEFAULTS_DIR / f"{key}.{FALLBACK_LANGUAGE}.txt"
    subject, _blank, body = path.read_text(encoding="utf-8").partition("\n\n")
    return subject.strip(), body.strip()


def default_keys() -> list[tuple[str, str]]:
    """Every (key, language) a default file exists for."""
    pairs = []
    for path in sorted(DEFAULTS_DIR.glob("*.txt")):
        key, language, _ext = path.name.split(".")
        pairs.append((key, language))
    return pairs


@lru_cache(maxsize=256)
def _compile(source: str):
    return _engine.from_string(source)


def template_check(source: str) -> None:
    """Raise MessageTemplateError when `source` is not a valid template."""
    try:
        _compile(source)
    except TemplateSyntaxError as exc:
        raise MessageTemplateError(str(exc)) from exc


def render_text(source: str, context: dict) -> str:
    if "{" not in source:
        return source.strip()  # no tag, variable or comment: the template renders as itself
    try:
        return _compile(source).render(Context(context, autoescape=False)).strip()
    except TemplateSyntaxError as exc:
        raise MessageTemplateError(str(exc)) from exc


def template_text(key: str, language: str) -> tuple[str, str]:
    """(subject, body) as operations last edited them, else the shipped default."""
    from .models import MessageTemplate

    row = (
        MessageTemplate.objects.filter(key=key, language__in=[language, FALLBACK_LANGUAGE])
        .order_by()
        .values_list("language", "subject", "body")
    )
    found = {lang: (subject, body) for lang, subject, body in row}
    if language in found:
        return found[language]
    if FALLBACK_LANGUAGE in found:
        return found[FALLBACK_LANGUAGE]
    return default_text(key, language)


def templates_all() -> dict[tuple[str, str], tuple[str, str]]:
    """Every stored template by (key, language), for jobs that render thousands of messages."""
    from .models import MessageTemplate

    return {
        (key, lang): (subject, body)
        for key, lang, subject, body in MessageTemplate.objects.values_list(
            "key", "language", "subject", "body"
        )
    }


def template_source(templates: dict, key: str, language: str) -> tuple[str, str]:
    """Like template_text, from a dict made by templates_all()."""
    return (
        templates.get((key, language))
        or templates.get((key, FALLBACK_LANGUAGE))
        or default_text(key, language)
    )


def in_language(language: str) -> AbstractContextManager:
    """`translation.override(language)`, or nothing when `language` is already the one in use: a
    campaign renders thousands of messages in a row, and switching the language back and forth
    around each of them cost more than rendering its text."""
    if translation.get_language() == language:
        return nullcontext()
    return translation.override(language)


def message_render(
    *, key: str, language: str, context: dict, source: tuple[str, str] | None = None
) -> Rendered:
    """Render message `key` in `language` (the active language is switched for date formats)."""
    subject_source, body_source = source or template_text(key, language)
    full = {"site_url": settings.SITE_URL, "portal_url": f"{settings.SITE_URL}/portal/", **context}
    with in_language(language):
        return Rendered(subject=render_text(subject_source, full), body=render_text(body_source, full))


def date_text(day: date, language: str) -> str:
    """A date as owners read it: 2026/12/31 in zh-Hant, 31 Dec 2026 in English."""
    if language == "en":
        return day.strftime("%-d %b %Y")
    with translation.override(language):
        return formats.date_format(day, "Y/m/d")
