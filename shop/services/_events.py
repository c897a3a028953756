"""The order's timeline: one row per thing that happened to it, with who did it."""

from datetime import datetime

from config.stored_text import fit_to_column
from members.actors import Actor
from vouchers.models import Order

from ..models import OrderEvent

SHOP_SYSTEM = Actor.system("shop")  # the shop's own jobs and rules (invoicing, expiry, corrections)


def order_event(
    order: Order, kind: str, *, at: datetime, actor: Actor | None = None, note: str = ""
) -> OrderEvent:
    return OrderEvent.objects.create(
        order=order,
        kind=kind,
        at=at,
        actor_label=fit_to_column(OrderEvent, "actor_label", actor.label if actor else ""),
        note=fit_to_column(OrderEvent, "note", note),
    )
