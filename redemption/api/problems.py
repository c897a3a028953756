"""Every API error as `application/problem+json` (RFC 9457): type, title, status, detail, code.

`title` is a short summary of the code in the request's language (LocaleMiddleware picks it from
Accept-Language); `detail` explains this occurrence. A 400 always has the code `validation_error`
and lists what was wrong in `errors` (each with a JSON `pointer` into the body, or the `parameter`
or `header` at fault, and a finer `code`).
"""

import logging
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.signals import got_request_exception
from django.http import Http404
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import set_rollback

from config.errors import DomainError
from vouchers.exceptions import VoucherNotUsable

logger = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"
VALIDATION_ERROR = "validation_error"


@dataclass(frozen=True)
class ProblemType:
    status: int
    title: object  # a lazy translation


# The stable codes partners program against (docs/api.md lists them with both languages).
CATALOGUE: dict[str, ProblemType] = {
    VALIDATION_ERROR: ProblemType(400, _("Invalid request")),
    "not_authenticated": ProblemType(401, _("Authentication required")),
    "permission_denied": ProblemType(403, _("Permission denied")),
    "not_found": ProblemType(404, _("Not found")),
    "voucher_not_found": ProblemType(404, _("Voucher not found")),
    "vehicle_not_found": ProblemType(404, _("Vehicle not found")),
    "definition_not_found": ProblemType(404, _("Voucher definition not found")),
    "redemption_not_found": ProblemType(404, _("Redemption not found")),
    "method_not_allowed": ProblemType(405, _("Method not allowed")),
    "not_acceptable": ProblemType(406, _("Response format not available")),
    "voucher_expired": ProblemType(409, _("Voucher expired")),
    "voucher_not_yet_valid": ProblemType(409, _("Voucher not yet valid")),
    "voucher_not_active": ProblemType(409, _("Voucher not active")),
    "voucher_held": ProblemType(409, _("Voucher held by a service in progress")),
    "voucher_exhausted": ProblemType(409, _("No uses left")),
    "vehicle_mismatch": ProblemType(409, _("Voucher belongs to another vehicle")),
    "dealer_not_allowed": ProblemType(409, _("Voucher not valid at this dealer")),
    "model_not_allowed": ProblemType(409, _("Voucher not valid for this vehicle model")),
    "definition_not_issuable": ProblemType(409, _("Voucher definition not open for issuing")),
    "stock_exhausted": ProblemType(409, _("No stock left")),
    "holder_limit_reached": ProblemType(409, _("Limit per holder reached")),
    "not_first_owner": ProblemType(409, _("First-owner benefit")),
    "activation_not_allowed": ProblemType(409, _("Activation not allowed")),
    "invalid_transition": ProblemType(409, _("Action not possible in this state")),
    "reversal_window_passed": ProblemType(409, _("Reversal window passed")),
    "redemption_not_reversible": ProblemType(409, _("Redemption cannot be reversed")),
    "already_reversed": ProblemType(409, _("Redemption already reversed")),
    "idempotency_request_in_progress": ProblemType(409, _("Request with this idempotency key in progress")),
    "plate_taken": ProblemType(409, _("Licence plate on another vehicle")),
    "mileage_below_last": ProblemType(409, _("Mileage below the last reading")),
    "ownership_date_invalid": ProblemType(409, _("Ownership date before the current ownership")),
    "repair_order_taken": ProblemType(409, _("Repair order of another vehicle")),
    "payload_too_large": ProblemType(413, _("Request body too large")),
    "unsupported_media_type": ProblemType(415, _("Unsupported media type")),
    "idempotency_key_reused": ProblemType(422, _("Idempotency key reused")),
    "rate_limited": ProblemType(429, _("Too many requests")),
    "server_error": ProblemType(500, _("Internal server error")),
}
FALLBACK_TITLE = _("Request refused")

_DRF_CODES = {
    exceptions.ParseError: VALIDATION_ERROR,
    exceptions.ValidationError: VALIDATION_ERROR,
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "not_authenticated",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "rate_limited",
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
    entry = CATALOGUE.get(code)
    return str(entry.title if entry else FALLBACK_TITLE)


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
    code = code or str(getattr(exc, "default_code", "") or "error")
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


def problem_from_exception(exc: Exception) -> Problem | None:
    """The problem an exception stands for; None for a bug (the caller answers 500)."""
    if isinstance(exc, Problem):
        return exc
    if isinstance(exc, DomainError):
        return _from_domain(exc)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        return Problem(413, "payload_too_large", gettext("The request body is too large."))
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
        problem = Problem(500, "server_error", detail)
    set_rollback()
    response = problem_response(problem, request)
    response.problem_code = problem.code
    return response
