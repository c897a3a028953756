"""Nightly jobs: each is a django-q2 task (by dotted path) and a management command.

Jobs take no arguments and call services; running one twice changes nothing the second time.
"""

from django.utils import timezone

from redemption.services import holds_release_stale
from vouchers.selectors import ledger_drift
from vouchers.services import vouchers_expire_due


def expire_vouchers() -> dict:
    now = timezone.now()
    return {"expired": vouchers_expire_due(now=now), "holds_released": holds_release_stale(now=now)}


def reconcile_ledger() -> dict:
    return {"drifting": ledger_drift().count()}
