from datetime import timedelta

import factory
from django.utils import timezone

from vehicles.identifiers import vin_check_digit
from vehicles.models import Ownership, Vehicle, VehicleModel

from .members import MemberFactory


def _vin(n: int) -> str:
    """A well-formed VIN with a correct check digit, unique per n."""
    body = f"WBA5R1C00LF{n:06d}"  # position 9 is a placeholder until the check digit is known
    check = vin_check_digit(body)
    return body[:8] + check + body[9:]


def _plate(n: int) -> str:
    letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
    a, b, c = letters[n % 24], letters[(n // 24) % 24], letters[(n // 576) % 24]
    return f"{a}{b}{c}-{n % 10000:04d}"


class VehicleModelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VehicleModel
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"M{n}")
    name = factory.Sequence(lambda n: f"Model {n}")


class VehicleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Vehicle

    vin = factory.Sequence(_vin)
    plate = factory.Sequence(_plate)
    plate_key = factory.LazyAttribute(lambda o: o.plate.replace("-", ""))
    model = factory.SubFactory(VehicleModelFactory)
    delivery_date = factory.LazyFunction(lambda: timezone.localdate())


class OwnedVehicleFactory(VehicleFactory):
    """A vehicle with a current first owner (pass `owner=` to choose the member)."""

    class Meta:
        skip_postgeneration_save = True  # the hook creates an Ownership; the vehicle is unchanged

    @factory.post_generation
    def owner(self, create, extracted, **kwargs):
        if not create:
            return
        member = extracted or MemberFactory()
        Ownership.objects.create(vehicle=self, member=member, started_at=timezone.now(), is_first_owner=True)


def raise_alert(
    vehicle, *, alert_id: str = "A-1", kind: str = "tyre_pressure", severity: str = "warning", **kwargs
):
    """An alert through the service (the owner's message and rule vouchers follow after commit)."""
    from vehicles.services.alerts import alert_raise

    kwargs.setdefault("raised_at", timezone.now() - timedelta(minutes=5))
    kwargs.setdefault("sender", "telematics")
    alert, _created = alert_raise(
        vehicle=vehicle, sender_alert_id=alert_id, kind=kind, severity=severity, **kwargs
    )
    return alert
