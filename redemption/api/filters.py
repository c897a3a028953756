"""Query filters of the vehicle's voucher list."""

import django_filters

from vouchers.models import Voucher, VoucherDefinition

STATUS_HELP = "one or more stored states, e.g. ?status=active&status=held"
CATEGORY_HELP = "one or more service categories, e.g. ?category=wash"


class VoucherFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=Voucher.Status.choices, help_text=STATUS_HELP)
    category = django_filters.MultipleChoiceFilter(
        field_name="definition__category",
        choices=VoucherDefinition.Category.choices,
        help_text=CATEGORY_HELP,
    )

    class Meta:
        model = Voucher
        fields = ["status", "category"]
