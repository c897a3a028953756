import factory

from vouchers.models import Voucher, VoucherDefinition
from vouchers.services import voucher_issue


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
