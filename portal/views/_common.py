import posixpath
from urllib.parse import urlsplit

from django.contrib import messages
from django.utils.http import url_has_allowed_host_and_scheme

from config.errors import DomainError


def show_error(request, error: DomainError) -> None:
    """A service refusal, shown on the next page in the owner's language (code kept for tests/ops)."""
    messages.error(request, error.message, extra_tags=f"code-{error.code}")


def safe_next(request, candidate: str | None, default: str) -> str:
    """`candidate` if it is a path inside the portal on this site, else `default`."""
    if (
        candidate
        and posixpath.normpath(urlsplit(candidate).path).startswith("/portal")
        and candidate.startswith("/portal/")
        and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return candidate
    return default
