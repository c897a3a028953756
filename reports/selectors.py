"""Reads shared by the report pages."""

from __future__ import annotations

from .models import FactRefresh


def last_refresh() -> FactRefresh | None:
    """The last finished refresh or rebuild of the summary tables (shown as 'figures as of')."""
    return FactRefresh.objects.filter(finished_at__isnull=False).order_by("-finished_at", "-pk").first()
