"""Every API error as `application/problem+json` (RFC 9457): type, title, status, detail, code.

`title` is a short summary of the code in the request's language (LocaleMiddleware picks it from
Accept-Language); `detail` explains this occurrence. A 400 always has the code `validation_error`
and lists what was wrong in `errors` (each with a JSON `pointer` into the body, or the `parameter`
or `header` at fault, and a finer `code`).
"""

import functools
import logging
from dataclasses import dataclass, field
from importlib import import_module

from django.core.exceptions import ImproperlyConfigured, RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.signals import got_request_exception
from django.http import Http404
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import set_rollback

from config.errors import DomainError
from config.unavailable import RETRY_AFTER_SECONDS, database_unreachable
from vouchers.eligibility import Reason
from vouchers.exceptions import VoucherNotUsable

logger = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"
VALIDATION_ERROR = "validation_error"
NOT_AUTHENTICATED = "not_authenticated"
PERMISSION_DENIED = "permission_denied"
NOT_FOUND = "not_found"
METHOD_NOT_ALLOWED = "method_not_allowed"
NOT_ACCEPTABLE = "not_acceptable"
PAYLOAD_TOO_LARGE = "payload_too_large"
UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
RATE_LIMITED = "rate_limited"
SERVER_ERROR = "server_error"
SERVICE_UNAVAILABLE = "service_unavailable"


@dataclass(frozen=True)
class ProblemType:
    code: str
    status: int
    title: object  # a lazy translation


# Problems the API layer answers itself: DRF's and Django's refusals of a request, the body limit,
# bugs. Every other code is a DomainError subclass's, found by `catalogue` so that none is missed.
API_PROBLEMS = (
    ProblemType(VALIDATION_ERROR, 400, _("Invalid request")),
    ProblemType(NOT_AUTHENTICATED, 401, _("Authentication required")),
    ProblemType(PERMISSION_DENIED, 403, _("Permission denied")),
    ProblemType(NOT_FOUND, 404, _("Not found")),
    ProblemType(METHOD_NOT_ALLOWED, 405, _("Method not allowed")),
    ProblemType(NOT_ACCEPTABLE, 406, _("Response format not available")),
    ProblemType(PAYLOAD_TOO_LARGE, 413, _("Request body too large")),
    ProblemType(UNSUPPORTED_MEDIA_TYPE, 415, _("Unsupported media type")),
    ProblemType(RATE_LIMITED, 429, _("Too many requests")),
    ProblemType(SERVER_ERROR, 500, _("Internal server error")),
    ProblemType(SERVICE_UNAVAILABLE, 503, _("Service temporarily unavailable")),
)
# The apps the API may import (the import-linter layers below campaigns): a DomainError defined in
# them can reach a partner. One with http_status 400 is answered as `validation_error` with its
# code in `errors`, so it is no problem type of its own.
API_REACHABLE_APPS = frozenset({"config", "members", "vehicles", "vouchers", "shop", "redemption"})
FALLBACK_TITLE = _("Request refused")


def _subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found


def domain_problem_types() -> list[ProblemType]:
    """A problem type for each code a DomainError the API can reach carries (titles from the class)."""
    found = []
    for cls in _subclasses(DomainError):
        if cls.__module__.partition(".")[0] not in API_REACHABLE_APPS or cls.http_status == 400:
            continue
        if issubclass(cls, VoucherNotUsable):
            # Its code is the most telling reason, chosen when raised: each reason is a problem type.
            found += [ProblemType(reason.value, cls.http_status, reason.label) for reason in Reason]
        else:
            found.append(ProblemType(cls.code, cls.http_status, cls.title))
    return found


@functools.cache
def catalogue() -> dict[str, ProblemType]:
    """Every code the API can answer with, by code: the stable codes partners program against."""
    # The API's modules import every exception class it can raise; make sure they are loaded.
    import_module("redemption.api.urls")
    found = {problem.code: problem for problem in API_PROBLEMS}
    for problem in domain_problem_types():
        known = found.setdefault(problem.code, problem)
        if known.status != problem.status:
            raise ImproperlyConfigured(
                f"Problem code {problem.code!r} has two HTTP statuses: {known.status} and {problem.status}."
            )
        if known.title is None:
            found[problem.code] = problem
    return dict(sorted(found.items()))


_DRF_CODES = {
    exceptions.ParseError: VALIDATION_ERROR,
    exceptions.ValidationError: VALIDATION_ERROR,
    exceptions.NotAuthenticated: NOT_AUTHENTICATED,
    exceptions.AuthenticationFailed: NOT_AUTHENTICATED,
    exceptions.PermissionDenied: PERMISSION_DENIED,
    exceptions.NotFound: NOT_FOUND,
    exceptions.MethodNotAllowed: METHOD_NOT_ALLOWED,
    exceptions.NotAcceptable: NOT_ACCEPTABLE,
    exceptions.UnsupportedMediaType: UNSUPPORTED_MEDIA_TYPE,
    exceptions.Throttled: RATE_LIMITED,
}


@dataclass
class Problem(Exception):
    """An error already in problem form; raise it from a view or build it from any exception."""

    status: int
    code: str
    detail: str
    errors: list[dict] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    extra: dict = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.status} {self.code}: {self.detail}"


def problem_title(code: str) -> str:
    entry = catalogue().get(code)
    return str(entry.title if entry and entry.title is not None else FALLBACK_TITLE)


def problem_type_uri(request, code: str) -> str:
    path = f"/api/problems/{code}"
    return request.build_absolute_uri(path) if request is not None else path


def problem_body(problem: Problem, request=None) -> dict:
    body = {
        "type": problem_type_uri(request, problem.code),
        "title": problem_title(problem.code),
        "status": problem.status,
        "detail": str(problem.detail),
        "code": problem.code,
    }
    if request is not None:
        body["instance"] = request.path
    if problem.errors:
        body["errors"] = problem.errors
    body.update(problem.extra)
    return body


def problem_response(problem: Problem, request=None) -> Response:
    return Response(
        problem_body(problem, request),
        status=problem.status,
        headers=problem.headers,
        content_type=PROBLEM_CONTENT_TYPE,
    )


def invalid(detail: str, **where) -> Problem:
    """A 400 about one place: pointer="#/vehicle/vin", parameter="code" or header="Idempotency-Key"."""
    code = where.pop("code", VALIDATION_ERROR)
    errors = [{"detail": str(detail), "code": code, **where}]
    return Problem(400, VALIDATION_ERROR, str(detail), errors=errors)


def _flatten(detail, pointer: str = "#") -> list[dict]:
    """DRF's nested ValidationError detail as a flat list of {pointer, detail, code}."""
    if isinstance(detail, dict):
        items = []
        for key, value in detail.items():
            child = pointer if key in ("non_field_errors", "__all__") else f"{pointer}/{key}"
            items += _flatten(value, child)
        return items
    if isinstance(detail, list):
        items = []
        for index, value in enumerate(detail):
            nested = isinstance(value, (dict, list))
            items += _flatten(value, f"{pointer}/{index}" if nested else pointer)
        return items
    return [{"pointer": pointer, "detail": str(detail), "code": getattr(detail, "code", "invalid")}]


def query_invalid(exc: exceptions.ValidationError) -> Problem:
    """A ValidationError about query parameters: each error names its `parameter`."""
    errors = []
    for item in _flatten(exc.detail):
        errors.append({"detail": item["detail"], "code": item["code"], "parameter": item["pointer"][2:]})
    return Problem(400, VALIDATION_ERROR, gettext("The request is not valid; see errors."), errors=errors)


def _from_domain(exc: DomainError) -> Problem:
    if exc.http_status == 400:
        return Problem(400, VALIDATION_ERROR, exc.message, errors=[{"detail": exc.message, "code": exc.code}])
    problem = Problem(exc.http_status, exc.code, exc.message)
    if isinstance(exc, VoucherNotUsable):
        problem.extra["reasons"] = [reason.value for reason in exc.reasons]
    retry_after = getattr(exc, "retry_after", None)
    if retry_after:
        problem.headers["Retry-After"] = str(retry_after)
    return problem


def _from_drf(exc: exceptions.APIException) -> Problem:
    code = next((c for cls, c in _DRF_CODES.items() if isinstance(exc, cls)), None)
    if code is None:  # a bare APIException or a subclass of our own: not a code partners know
        code = SERVER_ERROR if exc.status_code >= 500 else str(getattr(exc, "default_code", "") or "error")
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if isinstance(exc, exceptions.Throttled):
        wait = max(1, int(exc.wait or 1))
        headers["Retry-After"] = str(wait)
        return Problem(
            429,
            code,
            gettext("Too many requests. Retry after %(seconds)s seconds.") % {"seconds": wait},
            headers=headers,
        )
    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(exc.detail)
        return Problem(400, code, gettext("The request is not valid; see errors."), errors=errors)
    if isinstance(exc, exceptions.AuthenticationFailed | exceptions.NotAuthenticated):
        # DRF answers 403 when no authenticator offers a challenge; ours always does.
        return Problem(401, code, str(exc.detail), headers=headers)
    status = exc.status_code
    if isinstance(exc, exceptions.ParseError):
        return Problem(status, code, str(exc.detail), errors=[{"pointer": "#", "detail": str(exc.detail)}])
    return Problem(status, code, str(exc.detail), headers=headers)


def service_unavailable() -> Problem:
    """The database cannot be reached: nothing was done, the same request may be sent again."""
    detail = gettext(
        "The service cannot reach its database at the moment. Retry after %(seconds)s seconds with the "
        "same Idempotency-Key: a request that was carried out is answered as it was, never done twice."
    ) % {"seconds": RETRY_AFTER_SECONDS}
    return Problem(503, SERVICE_UNAVAILABLE, detail, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def problem_from_exception(exc: Exception) -> Problem | None:
    """The problem an exception stands for; None for a bug (the caller answers 500)."""
    if isinstance(exc, Problem):
        return exc
    if database_unreachable(exc):
        logger.warning("Database unreachable; answered 503: %s", exc)
        return service_unavailable()
    if isinstance(exc, DomainError):
        return _from_domain(exc)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        return Problem(413, PAYLOAD_TOO_LARGE, gettext("The request body is too large."))
    elif isinstance(exc, SuspiciousOperation):
        return Problem(400, VALIDATION_ERROR, gettext("The request is not valid."))
    if isinstance(exc, exceptions.APIException):
        return _from_drf(exc)
    return None


def problem_exception_handler(exc: Exception, context: dict) -> Response:
    """DRF exception handler: every exception becomes a problem response, bugs included (500)."""
    request = context.get("request")
    problem = problem_from_exception(exc)
    if problem is None:
        logger.error("Unhandled error in the partner API", exc_info=exc)
        # Lets Django's error reporting (and the test client) see the exception as it would a 500.
        got_request_exception.send(sender=None, request=getattr(request, "_request", request))
        detail = gettext("Something went wrong on our side. Please retry later.")
        problem = Problem(500, SERVER_ERROR, detail)
    set_rollback()
    response = problem_response(problem, request)
    response.problem_code = problem.code
    return response
