from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from vouchers.admin.extensions import Audience, AudienceProvider, register_audience_provider

from ..models import Segment
from ..selectors import segment_members, segment_vehicles


@admin.register(Segment)
class SegmentAdmin(admin.ModelAdmin):
    list_display = ("name", "min_tier", "cities", "consent", "created_at")
    list_filter = ("consent", "min_tier")
    search_fields = ("name", "description")
    filter_horizontal = ("vehicle_models", "dealers")


def _segment_choices(request) -> list[tuple[str, str]]:
    return [(str(pk), name) for pk, name in Segment.objects.order_by("name").values_list("pk", "name")]


def _segment_audience(value: str) -> Audience:
    """The segment's vehicles and current owners, resolved here so vouchers never imports campaigns."""
    segment = Segment.objects.get(pk=int(value))
    return Audience(
        label=segment.name,
        vehicle_ids=list(segment_vehicles(segment).values_list("pk", flat=True)),
        member_ids=list(segment_members(segment).values_list("pk", flat=True)),
    )


register_audience_provider(
    AudienceProvider(key="segment", label=_("Segment"), choices=_segment_choices, resolve=_segment_audience)
)
