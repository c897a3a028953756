"""What vehicle events mean for vouchers (connected in VouchersConfig.ready)."""

from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _

from config.stored_text import stored_text
from members.actors import Actor
from vehicles import signals as vehicle_signals
from vehicles.models import Vehicle

from .selectors import first_owner_vouchers_of
from .services import voucher_void, vouchers_for_update


@receiver(vehicle_signals.ownership_transferred, sender=Vehicle, dispatch_uid="vouchers.first_owner_void")
def void_first_owner_vouchers(sender, *, vehicle, previous_owner, new_owner, actor, reason, now, **kwargs):
    """First-owner benefits end when the car changes hands; vehicle-held vouchers stay with the car."""
    if previous_owner is None:
        return
    vouchers = vouchers_for_update(first_owner_vouchers_of(vehicle, previous_owner))
    why = stored_text(_("Vehicle changed owner; first-owner benefit ends."))
    if reason:
        why = f"{why} {reason}"
    for voucher in vouchers:
        voucher_void(
            voucher=voucher,
            reason=why,
            actor=Actor.system("ownership", user=actor),
            now=now,
            force=True,
        )
