"""django-q2 tasks of the portal (scheduled in campaigns/schedules.py)."""

from datetime import timedelta

from .services import login_codes_prune


def prune_login_codes() -> int:
    """Sign-in codes are useless a day after they expire; keep the table small."""
    return login_codes_prune(older_than=timedelta(days=1))
