"""`config.sessions`: Django's database sessions, the session's read compiled once per process.
What a session holds, when it counts as expired and what an unknown key gives stay Django's."""

from datetime import timedelta
from unittest import mock

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.db.models.sql.compiler import SQLCompiler
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from config.compiled_query import compiled_queries_clear
from config.sessions import SessionStore
from tests.factories.staff import staff_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_compiled_queries():
    compiled_queries_clear()
    yield
    compiled_queries_clear()


def _saved(data: dict) -> str:
    store = SessionStore()
    store.update(data)
    store.save()
    return store.session_key


def test_the_project_uses_it():
    assert settings.SESSION_ENGINE == "config.sessions"


def test_each_key_reads_its_own_session_after_the_first_compiled_the_query():
    keys = [_saved({"n": n}) for n in range(3)]
    for n, key in enumerate(keys):
        assert SessionStore(session_key=key).load() == {"n": n}


@pytest.mark.postgres  # SQLite takes the clock as text Django writes: the read compiles every time
def test_the_second_read_sends_the_stored_sql_without_compiling():
    first, second = _saved({"n": 1}), _saved({"n": 2})
    SessionStore(session_key=first).load()
    with (
        mock.patch.object(SQLCompiler, "as_sql", autospec=True, side_effect=SQLCompiler.as_sql) as compiles,
        CaptureQueriesContext(connection) as queries,
    ):
        assert SessionStore(session_key=second).load() == {"n": 2}
    assert compiles.call_count == 0
    assert len(queries) == 1


def test_an_unknown_key_gives_an_empty_session_and_drops_the_key():
    _saved({"n": 1})  # compiled with a real row first
    store = SessionStore(session_key="x" * 32)
    assert store.load() == {}
    assert store.session_key is None


def test_a_session_past_its_expiry_is_not_read():
    key = _saved({"n": 1})
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - timedelta(seconds=1))
    store = SessionStore(session_key=key)
    assert store.load() == {}
    assert store.session_key is None


def test_expiry_is_judged_by_the_clock_of_each_read_not_of_the_first():
    key = _saved({"n": 1})
    assert SessionStore(session_key=key).load() == {"n": 1}  # compiled now
    later = Session.objects.get(session_key=key).expire_date + timedelta(seconds=1)
    with mock.patch("config.sessions.timezone.now", return_value=later):
        assert SessionStore(session_key=key).load() == {}


def test_a_signed_in_user_stays_signed_in_across_requests(client):
    user = staff_user("Operations", superuser=True)
    client.force_login(user)
    for _n in range(2):  # the second request reads the session with the stored query
        response = client.get("/admin/")
        assert response.status_code == 200
        assert response.wsgi_request.user == user
