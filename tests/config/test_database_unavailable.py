"""A database that cannot be reached: the API answers a 503 problem with Retry-After, pages a
translated 503 page; other database errors stay 500. The database is really unreachable here: the
default connection points at a closed port, or its PostgreSQL session is terminated."""

import socket

import psycopg
import pytest
from django.db import OperationalError, connection, connections
from django.db.backends.postgresql.base import DatabaseWrapper
from django.test import Client
from django.urls import reverse

from config.unavailable import database_unreachable, server_error
from tests.factories.staff import staff_user
from tests.redemption.api_support import client_for, make_key, post, scene

pytestmark = pytest.mark.django_db


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens there once the probe is closed


class Outage:
    """Swap the default connection for one to a PostgreSQL that is not there, and back."""

    def __init__(self):
        self.real = connections["default"]

    def begin(self):
        connections["default"] = DatabaseWrapper(
            {
                **self.real.settings_dict,
                "ENGINE": "django.db.backends.postgresql",
                "NAME": "vouchers",
                "USER": "vouchers",
                "PASSWORD": "",
                "HOST": "127.0.0.1",
                "PORT": str(_closed_port()),
                "OPTIONS": {"connect_timeout": 3},
                "CONN_MAX_AGE": 0,
                "CONN_HEALTH_CHECKS": False,
            },
            alias="default",
        )

    def end(self):
        connections["default"] = self.real


@pytest.fixture
def outage():
    outage = Outage()
    yield outage
    outage.end()


def _problem(response) -> dict:
    assert response["Content-Type"] == "application/problem+json"
    return response.json()


def test_the_api_answers_503_with_retry_after(outage):
    _key, plaintext = make_key()
    outage.begin()
    response = client_for(plaintext, HTTP_ACCEPT_LANGUAGE="en").get(f"/api/v1/vouchers/{'1' * 16}")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    body = _problem(response)
    assert body["code"] == "service_unavailable" and body["status"] == 503
    assert body["title"] == "Service temporarily unavailable"
    assert "same Idempotency-Key" in body["detail"]


def test_a_post_retried_with_the_same_key_once_the_database_is_back_is_carried_out(outage):
    s = scene()
    _key, plaintext = make_key()
    partner = client_for(plaintext)
    url = f"/api/v1/vouchers/{s.voucher.code}/redeem"
    body = {"dealer": s.dealer.code, "vin": s.vehicle.vin}
    outage.begin()
    refused = post(partner, url, body, key="retry-me-1")
    assert refused.status_code == 503
    assert refused["Retry-After"] == "30"
    outage.end()
    retried = post(partner, url, body, key="retry-me-1")
    assert retried.status_code == 200, retried.content
    assert post(partner, url, body, key="retry-me-1")["Idempotent-Replayed"] == "true"


def test_the_problem_is_in_the_catalogue_in_both_languages():
    entry = Client().get("/api/problems/service_unavailable", HTTP_ACCEPT_LANGUAGE="zh-hant").json()
    assert entry == {"code": "service_unavailable", "status": 503, "title": "服務暫時無法使用"}


@pytest.mark.parametrize(
    "page",
    [reverse("counter:home"), reverse("admin:index"), reverse("portal:home"), reverse("counter:login")],
)
def test_pages_answer_a_translated_503(outage, page):
    client = Client(raise_request_exception=False)
    client.force_login(staff_user("Operations", superuser=True))
    outage.begin()
    unreachable = client.get(page, HTTP_ACCEPT_LANGUAGE="zh-hant")
    english = client.get(page, HTTP_ACCEPT_LANGUAGE="en")
    for response in (unreachable, english):
        assert response.status_code == 503
        assert response["Retry-After"] == "30"
        assert response["Content-Type"].startswith("text/html")
    assert "暫時無法使用" in unreachable.content.decode()
    assert "We cannot reach our database at the moment" in english.content.decode()


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (OperationalError("no such table: nothing"), 500),  # SQLite's word for a missing table: a bug
        (psycopg.errors.UniqueViolation("duplicate key"), 500),
        (psycopg.OperationalError("connection failed: Connection refused"), 503),
    ],
)
def test_the_error_handler_answers_503_only_for_connection_failures(rf, error, status):
    request = rf.get("/counter/")
    try:
        raise error
    except Exception:
        response = server_error(request)
    assert response.status_code == status


@pytest.mark.parametrize(
    ("error", "unreachable"),
    [
        (psycopg.OperationalError("connection failed: Connection refused"), True),
        (psycopg.InterfaceError("the connection is closed"), True),
        (psycopg.errors.AdminShutdown("terminating connection due to administrator command"), True),
        (psycopg.errors.CannotConnectNow("the database system is starting up"), True),
        (psycopg.errors.ConnectionFailure("connection failure"), True),
        (psycopg.errors.SerializationFailure("could not serialize access"), False),
        (psycopg.errors.DeadlockDetected("deadlock detected"), False),
        (psycopg.errors.QueryCanceled("canceling statement due to statement timeout"), False),
        (psycopg.errors.UniqueViolation("duplicate key"), False),
        (ValueError("not a database error"), False),
    ],
)
def test_only_connection_failures_count(error, unreachable):
    try:
        try:
            raise error
        except Exception as driver_error:
            raise OperationalError(str(driver_error)) from driver_error  # as Django wraps it
    except OperationalError as wrapped:
        assert database_unreachable(wrapped) is unreachable
    assert database_unreachable(error) is unreachable


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_dropped_connection_is_a_503_too():
    """The server ends the session (as a restart does); the next request finds the connection gone."""
    _key, plaintext = make_key()
    partner = client_for(plaintext)
    try:
        with pytest.raises(OperationalError), connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")
        response = partner.get(f"/api/v1/vouchers/{'1' * 16}")
        assert response.status_code == 503
        assert _problem(response)["code"] == "service_unavailable"
    finally:
        connection.close()
