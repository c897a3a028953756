"""Reads of the loyalty app shared by pages, commands and reports."""

from django.db.models import F, IntegerField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from .models import LotUse, PointsAccount, PointsEntry, PointsLot


def _total(queryset, group: str, field: str):
    per = queryset.order_by().values(group).annotate(total=Sum(field)).values("total")
    return Coalesce(Subquery(per, output_field=IntegerField()), Value(0))


def points_drift() -> tuple:
    """(accounts, lots) that disagree with the ledger; both empty when everything agrees.

    An account drifts when its balance is not the sum of its entries, not its last entry's
    `balance_after`, or not what remains in its lots; a lot drifts when what remains in it is not
    what its uses leave.
    """
    last = PointsEntry.objects.filter(account=OuterRef("pk")).order_by("-pk").values("balance_after")[:1]
    accounts = PointsAccount.objects.annotate(
        ledger_balance=_total(PointsEntry.objects.filter(account=OuterRef("pk")), "account", "delta"),
        lots_balance=_total(PointsLot.objects.filter(account=OuterRef("pk")), "account", "remaining"),
        last_balance=Coalesce(Subquery(last, output_field=IntegerField()), Value(0)),
    ).filter(~Q(balance=F("ledger_balance")) | ~Q(balance=F("lots_balance")) | ~Q(balance=F("last_balance")))
    lots = PointsLot.objects.annotate(
        used=_total(LotUse.objects.filter(lot=OuterRef("pk")), "lot", "points")
    ).filter(~Q(remaining=F("points") - F("used")))
    return accounts.select_related("member").order_by("pk"), lots.order_by("pk")
