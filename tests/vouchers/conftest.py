"""Fixtures shared by the vouchers-layer tests."""

import pytest
from django.db import connection


@pytest.fixture
def holds_without_redemptions(db):
    """Let these tests drive `voucher_hold` alone, below the redemption layer.

    In the product every hold is a redemption's (`redemption_start`), and on PostgreSQL a deferred
    constraint trigger refuses a held voucher without its open hold at commit; the test-case
    teardown runs deferred checks, so here the trigger is switched off inside the test's own
    transaction (rolled back with it, so no other test sees the change).
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE vouchers_voucher DISABLE TRIGGER held_voucher_has_open_hold")
