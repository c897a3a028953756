"""A database that cannot be reached answers 503 with Retry-After, never 500.

While PostgreSQL restarts (or the network to it is down), connecting fails and open connections
drop. That is not a bug and says nothing about the request: the partner API answers a 503
problem+json `service_unavailable` (redemption/api/problems.py) so partners retry with the same
Idempotency-Key, and pages (portal, counter, back office) answer 503 with a translated page. Only
connection failures count: a failed connect, a dropped or closed connection, the server shutting
down or starting up. Any other database error (a constraint, a deadlock, a bad query) stays a 500.

`server_error` is the project's handler500: it sees every exception no view answered, including
those raised in middleware (loading the session, saving it).
"""

import logging
import sys

from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.views import defaults

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30
# SQLSTATE class 08 (connection exception) and the server going away or not yet accepting
# connections: admin_shutdown, crash_shutdown, cannot_connect_now.
_CONNECTION_CLASS = "08"
_SERVER_GOING_AWAY = frozenset({"57P01", "57P02", "57P03"})


def database_unreachable(exc: BaseException | None) -> bool:
    """Whether `exc` (or the driver error Django wrapped in it) is a lost or refused connection."""
    try:
        import psycopg
    except ImportError:  # the embedded SQLite default may run without the driver
        return False
    seen = 0
    while exc is not None and seen < 5:
        if isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError):
            sqlstate = getattr(exc, "sqlstate", None)
            if sqlstate is None:  # raised by the client: could not connect, connection lost or closed
                return True
            return sqlstate.startswith(_CONNECTION_CLASS) or sqlstate in _SERVER_GOING_AWAY
        exc = exc.__cause__  # Django raises its own OperationalError `from` the driver's
        seen += 1
    return False


def unavailable_page() -> HttpResponse:
    """The 503 page: rendered without the request, so nothing on it asks the database again."""
    response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def unavailable_problem(request) -> HttpResponse:
    from redemption.api.problems import PROBLEM_CONTENT_TYPE, problem_body, service_unavailable

    problem = service_unavailable()
    return JsonResponse(
        problem_body(problem, request),
        status=problem.status,
        headers=problem.headers,
        content_type=PROBLEM_CONTENT_TYPE,
    )


def server_error(request, *args, **kwargs):
    exc = sys.exc_info()[1]
    if not database_unreachable(exc):
        return defaults.server_error(request, *args, **kwargs)
    logger.warning("Database unreachable; answered 503: %s", exc)
    if request.path_info.startswith("/api/"):
        return unavailable_problem(request)
    return unavailable_page()
