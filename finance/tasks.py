"""django-q2 entry points (scheduled in campaigns/schedules.py). Both are idempotent: the refresh
reads entries past a watermark under a lock, the rebuild replaces the facts whole."""

from .services import facts_rebuild, facts_refresh


def refresh_money_facts() -> str:
    return f"{facts_refresh()} ledger entries read"


def rebuild_money_facts() -> str:
    return f"{facts_rebuild()} fact rows"
