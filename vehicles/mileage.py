"""Whether an odometer reading can be accepted for a car, and if not, why.

Pure, so every place that takes a mileage asks the same question: the counter (redeem, start and
complete a service), the partner API and, later, visits imported from a dealer's DMS. A reading
below the car's last one is a typing error or a new odometer; only the second is accepted, and
only with the reason it was replaced, after which the new reading is the car's baseline.
"""

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _

REPLACEMENT_REASON_MAX_LENGTH = 200


class MileageRefusal(models.TextChoices):
    """The value is the stable error code the API answers with."""

    BELOW_LAST = "mileage_below_last", _("The mileage is below the car's last reading")
    REPLACEMENT_REASON_MISSING = (
        "odometer_replacement_reason_missing",
        _("An odometer replacement needs its reason"),
    )


@dataclass(frozen=True)
class OdometerReplacement:
    """The advisor's statement that the car's odometer was replaced (or reset), and why."""

    reason: str


def mileage_refusal(
    *, last_km: int, km: int, replacement: OdometerReplacement | None = None
) -> MileageRefusal | None:
    """Why the reading `km` cannot be taken for a car whose last reading is `last_km`; None if it can."""
    if replacement is not None:
        return None if replacement.reason.strip() else MileageRefusal.REPLACEMENT_REASON_MISSING
    if km < last_km:
        return MileageRefusal.BELOW_LAST
    return None
