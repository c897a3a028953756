import factory

from vouchers.models import IssueBatch, Voucher, VoucherDefinition
from vouchers.services import voucher_issue
from vouchers.services.bulk import issue_batch_prepare


class DefinitionFactory(factory.django.DjangoModelFactory):
    """A published, single-use, vehicle-held wash voucher valid 30 days from issue, unless told otherwise."""

    class Meta:
        model = VoucherDefinition

    name = factory.Sequence(lambda n: f"Definition {n}")
    code = factory.Sequence(lambda n: f"def-{n}")
    kind = VoucherDefinition.Kind.COMPLIMENTARY
    category = VoucherDefinition.Category.WASH
    uses_per_voucher = 1
    holder_type = VoucherDefinition.HolderType.VEHICLE
    validity_policy = VoucherDefinition.ValidityPolicy.DAYS_FROM_ISSUE
    validity_days = 30
    status = VoucherDefinition.Status.PUBLISHED
    channel_manual = True
    channel_claim = True
    channel_event = True
    channel_api = True


def issue_voucher(definition=None, *, source=Voucher.Source.MANUAL, **kwargs) -> Voucher:
    """Issue one voucher through the service (so the ledger is right) and return it."""
    definition = definition or DefinitionFactory()
    return voucher_issue(definition=definition, source=source, **kwargs)[0]


def plate_batch(definition, cars, *, reason: str = "bulk") -> IssueBatch:
    """A checked bulk batch of a whitelist file naming each car by plate, rows numbered from 1."""
    return issue_batch_prepare(
        definition=definition,
        reason=reason,
        source_kind="file",
        source_label="cars.csv",
        values=[(n, car.plate) for n, car in enumerate(cars, start=1)],
    )
