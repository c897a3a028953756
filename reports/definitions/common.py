"""Helpers shared by the report definitions: labels of dimensions, filters on fact querysets."""

from __future__ import annotations

from django.db.models import Q

from members.models import Dealer
from vouchers.models import VoucherDefinition

from ..query import ReportQuery


def dealer_labels(ids) -> dict:
    return {
        pk: f"{name} ({code})"
        for pk, code, name in Dealer.objects.filter(pk__in=ids).values_list("pk", "code", "name")
    }


def category_label(code: str) -> str:
    return str(dict(VoucherDefinition.Category.choices).get(code, code))


def dealer_q(query: ReportQuery, field: str = "dealer_id") -> Q:
    return Q(**{field: query.dealer_id}) if query.dealer_id is not None else Q()


def ratio(part, whole) -> float | None:
    """A percentage with one decimal (12.5 means 12.5 %); None when there is nothing to divide by."""
    return round(100 * part / whole, 1) if whole else None


def month_label(month) -> str:
    return f"{month:%Y-%m}"
