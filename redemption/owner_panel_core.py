"""What the owner panel shows from the apps below redemption: open refund and binding requests, the
open alerts of the owner's cars (this car's are listed on the page; the panel counts all of them),
and the owner's contact preferences (registered like any other provider, in `RedemptionConfig.ready`)."""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db.models import Count, Expression, IntegerField, Min, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from members.models import Channel, Member
from shop.models import OrderRefund
from vehicles.models import BindingRequest, VehicleAlert
from vouchers.models import RefundRequest

from .owner_panel import OwnerFact, PanelProvider, PanelScope, owner_panel_register


def _count_and_oldest(queryset: QuerySet, *, group: str, since: str) -> tuple[Expression, Expression]:
    """(how many rows, the earliest `since`) of a queryset already narrowed to one owner."""
    grouped = queryset.order_by().values(group)
    count = grouped.annotate(n=Count("pk")).values("n")
    oldest = grouped.annotate(first=Min(since)).values("first")
    return Coalesce(Subquery(count, output_field=IntegerField()), Value(0)), Subquery(oldest)


def _requests_annotate(owner_id: OuterRef, scope: PanelScope) -> dict[str, Expression]:
    # A refund asked for with its whole order is one request (the order's), not one per voucher.
    vouchers, vouchers_since = _count_and_oldest(
        RefundRequest.objects.filter(member_id=owner_id, status=RefundRequest.Status.PENDING, in_order=False),
        group="member_id",
        since="created_at",
    )
    orders, orders_since = _count_and_oldest(
        OrderRefund.objects.filter(order__member_id=owner_id, status=OrderRefund.Status.REQUESTED),
        group="order__member_id",
        since="requested_at",
    )
    bindings, bindings_since = _count_and_oldest(
        BindingRequest.objects.filter(member_id=owner_id, status=BindingRequest.Status.PENDING),
        group="member_id",
        since="created_at",
    )
    alerts, alerts_since = _count_and_oldest(
        VehicleAlert.objects.filter(
            status=VehicleAlert.Status.OPEN,
            vehicle__ownerships__member_id=owner_id,
            vehicle__ownerships__ended_at__isnull=True,
        ),
        group="vehicle__ownerships__member_id",
        since="raised_at",
    )
    return {
        "alerts": alerts,
        "alerts_since": alerts_since,
        "voucher_refunds": vouchers,
        "voucher_refunds_since": vouchers_since,
        "order_refunds": orders,
        "order_refunds_since": orders_since,
        "bindings": bindings,
        "bindings_since": bindings_since,
    }


def _day(moment: datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d") if moment is not None else ""


def _waiting(count: int, since: datetime | None, *, label: str, key: str, open_: bool = False) -> OwnerFact:
    if not count:
        return OwnerFact(label=label, value=_("None"), key=key)
    if open_:
        value = ngettext("%(count)s open", "%(count)s open", count) % {"count": count}
    else:
        value = ngettext("%(count)s waiting", "%(count)s waiting", count) % {"count": count}
    return OwnerFact(
        label=label,
        value=value,
        detail=_("since %(date)s") % {"date": _day(since)},
        key=key,
        attention=True,
    )


def _requests_present(owner: Member, columns: Mapping[str, Any], scope: PanelScope) -> list[OwnerFact]:
    refunds = columns["voucher_refunds"] + columns["order_refunds"]
    since = min(
        (d for d in (columns["voucher_refunds_since"], columns["order_refunds_since"]) if d is not None),
        default=None,
    )
    return [
        _waiting(refunds, since, label=_("Refund requests"), key="refunds"),
        _waiting(
            columns["bindings"],
            columns["bindings_since"],
            label=_("Vehicle binding requests"),
            key="bindings",
        ),
        _waiting(
            columns["alerts"],
            columns["alerts_since"],
            label=_("Open vehicle alerts (all the owner's cars)"),
            key="alerts",
            open_=True,
        ),
    ]


def _contact_present(owner: Member, columns: Mapping[str, Any], scope: PanelScope) -> list[OwnerFact]:
    agreed = [
        text
        for agreed, text in (
            (owner.consent_service, _("service reminders")),
            (owner.consent_marketing, _("marketing")),
        )
        if agreed
    ]
    return [
        OwnerFact(
            label=_("Contact by"),
            value=Channel(owner.preferred_channel).label
            if owner.preferred_channel in Channel.values
            else "—",
            key="channel",
        ),
        OwnerFact(
            label=_("Messages agreed to"),
            value=_(", ").join(agreed) if agreed else _("None: do not send messages"),
            key="consent",
            attention=not agreed,
        ),
    ]


def register() -> None:
    owner_panel_register(
        PanelProvider(name="requests", order=30, annotate=_requests_annotate, present=_requests_present)
    )
    # Read from the owner's row itself: no column of its own.
    owner_panel_register(
        PanelProvider(name="contact", order=40, annotate=lambda owner_id, scope: {}, present=_contact_present)
    )
