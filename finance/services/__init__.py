"""Use cases of the finance app. Import from here; the modules are split by use case."""

from .facts import facts_rebuild, facts_refresh
from .rates import breakage_rate_set
from .settlement import statement_approve, statement_draft, statement_export, statements_draft_month

__all__ = [
    "breakage_rate_set",
    "facts_rebuild",
    "facts_refresh",
    "statement_approve",
    "statement_draft",
    "statement_export",
    "statements_draft_month",
]
