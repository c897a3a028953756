"""config.jit.without_jit: PostgreSQL's JIT off for a stretch of work, the server's setting after."""

import pytest
from django.db import connection, transaction

from config.jit import without_jit

pytestmark = pytest.mark.django_db


def jit() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        return cursor.fetchone()[0]


@pytest.mark.postgres
def test_jit_is_off_inside_and_the_servers_setting_comes_back_after():
    before = jit()
    with without_jit():
        inside = jit()
    assert inside == "off" and jit() == before


@pytest.mark.postgres
def test_the_servers_setting_comes_back_when_the_work_fails():
    before = jit()
    with pytest.raises(RuntimeError), without_jit():
        raise RuntimeError("the work failed")
    assert jit() == before


@pytest.mark.postgres
def test_a_transaction_the_work_aborted_is_left_to_its_rollback():
    before = jit()
    with pytest.raises(RuntimeError), transaction.atomic(), without_jit():
        with connection.cursor() as cursor, pytest.raises(Exception, match="division by zero"):
            cursor.execute("SELECT 1 / 0")  # the transaction is aborted: RESET cannot run in it
        raise RuntimeError("the work failed")
    assert jit() == before


def test_other_databases_run_the_work_without_a_statement(django_assert_num_queries):
    if connection.vendor == "postgresql":
        pytest.skip("PostgreSQL sets and resets jit")
    with django_assert_num_queries(0), without_jit():
        pass
