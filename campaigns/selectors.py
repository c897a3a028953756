"""Read-side queries of the campaigns app: who is in a segment, a campaign's dry run and results."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import (
    Count,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
)
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from members.models import Member
from redemption.models import Redemption
from vehicles.models import Ownership, Vehicle, Visit
from vehicles.selectors import current_owner_id_subquery
from vouchers.models import Voucher

from .models import Campaign, CampaignRecipient, CampaignVoucher, Notification, Segment

_USABLE = [Voucher.Status.ACTIVE, Voucher.Status.INACTIVE, Voucher.Status.HELD]


def segment_vehicles(segment: Segment) -> QuerySet[Vehicle]:
    """Vehicles in the segment (each with a current owner who meets the member conditions)."""
    owners = Ownership.objects.current().filter(vehicle=OuterRef("pk"))
    if segment.min_tier:
        owners = owners.filter(member__tier__gte=segment.min_tier)
    if segment.consent == Segment.Consent.SERVICE:
        owners = owners.filter(member__consent_service=True)
    elif segment.consent == Segment.Consent.MARKETING:
        owners = owners.filter(member__consent_marketing=True)
    vehicles = Vehicle.objects.filter(Exists(owners))
    model_ids = list(segment.vehicle_models.values_list("pk", flat=True))
    if model_ids:
        vehicles = vehicles.filter(model_id__in=model_ids)
    dealer_ids = list(segment.dealers.values_list("pk", flat=True))
    if dealer_ids:
        vehicles = vehicles.filter(selling_dealer_id__in=dealer_ids)
    if segment.cities_list:
        vehicles = vehicles.filter(selling_dealer__city__in=segment.cities_list)
    if segment.delivered_from:
        vehicles = vehicles.filter(delivery_date__gte=segment.delivered_from)
    if segment.delivered_to:
        vehicles = vehicles.filter(delivery_date__lte=segment.delivered_to)
    if segment.last_visit_before:
        vehicles = vehicles.filter(
            Q(last_visit_at__date__lt=segment.last_visit_before) | Q(last_visit_at__isnull=True)
        )
    if segment.last_visit_after:
        vehicles = vehicles.filter(last_visit_at__date__gte=segment.last_visit_after)
    for category, wanted in ((segment.has_voucher_category, True), (segment.lacks_voucher_category, False)):
        if category:
            holds = Exists(
                Voucher.objects.filter(
                    vehicle=OuterRef("pk"), definition__category=category, status__in=_USABLE
                )
            )
            vehicles = vehicles.filter(holds if wanted else ~holds)
    return vehicles.order_by("pk")


def segment_members(segment: Segment) -> QuerySet[Member]:
    """Current owners of the segment's vehicles."""
    return (
        Member.objects.filter(
            ownerships__ended_at__isnull=True, ownerships__vehicle__in=segment_vehicles(segment)
        )
        .distinct()
        .order_by("pk")
    )


def segment_audience(segment: Segment) -> QuerySet[Vehicle]:
    """The segment's vehicles, each annotated with `current_owner_id`."""
    return segment_vehicles(segment).annotate(current_owner_id=current_owner_id_subquery("pk"))


@dataclass(frozen=True)
class DryRunRow:
    plate: str
    model: str
    owner: str
    channel: str
    recipient: str
    message: str
    excluded: str


@dataclass(frozen=True)
class DryRun:
    vehicles: int
    members: int
    will_receive_message: int
    without_marketing_consent: int
    over_weekly_cap: int
    vouchers_to_issue: int
    face_value_twd: int
    budget_limited_to: int | None
    sample: list[DryRunRow]


def campaign_dry_run(campaign: Campaign, *, sample_size: int = 20, now: datetime | None = None) -> DryRun:
    """Audience size, who would be left out and why, and a sample with the rendered message. Sends nothing."""
    from .messages import MessageTemplateError, message_render
    from .services.policy import member_address

    now = now or timezone.now()
    audience = segment_audience(campaign.segment)
    vehicles = audience.count()
    if campaign.max_recipients is not None:
        vehicles = min(vehicles, campaign.max_recipients)
    owners = Member.objects.filter(pk__in=audience.values("current_owner_id"))
    members = owners.count()
    no_consent = owners.filter(consent_marketing=False).count() if campaign.send_message else 0
    capped_ids = (
        Notification.objects.filter(
            member__in=owners.filter(consent_marketing=True),
            promotional=True,
            created_at__gte=now - timedelta(days=7),
            status__in=[Notification.Status.PENDING, Notification.Status.SENDING, Notification.Status.SENT],
        )
        .values("member_id")
        .annotate(n=Count("pk"))
        .filter(n__gte=settings.NOTIFY_PROMOTIONAL_WEEKLY_CAP)
    )
    capped = capped_ids.count() if campaign.send_message else 0
    definition = campaign.definition
    per_unit = definition.series_count if definition else 0
    unit_value = definition.face_value_twd * per_unit if definition else 0
    limited = None
    if definition and campaign.budget_twd is not None and unit_value:
        limited = min(vehicles, (campaign.budget_twd - campaign.spent_twd) // unit_value)
    issuing = limited if limited is not None else vehicles
    sample = []
    for vehicle in audience.select_related("model")[:sample_size]:
        member = Member.objects.filter(pk=vehicle.current_owner_id).first()
        if member is None:
            continue
        channel, recipient = member_address(member, campaign.channel or None)
        text = (
            campaign.message_en
            if member.language == "en" and campaign.message_en.strip()
            else campaign.message_zh_hant
        )
        message = ""
        if campaign.send_message:
            try:
                message = message_render(
                    key="campaign",
                    language=member.language,
                    context={
                        "name": member.name,
                        "plate": vehicle.plate,
                        "model": vehicle.model.name,
                        "vouchers": [{"title": definition.title}] if definition else [],
                    },
                    source=("", text),
                ).body
            except MessageTemplateError as exc:
                message = str(exc)
        excluded = ""
        if campaign.send_message and not member.consent_marketing:
            excluded = str(
                _("no marketing consent: voucher only, no message")
                if definition
                else _("no marketing consent")
            )
        sample.append(
            DryRunRow(
                plate=vehicle.plate,
                model=vehicle.model.name,
                owner=member.name_masked,
                channel=channel,
                recipient=recipient if channel != "sms" else member.phone_masked,
                message=message,
                excluded=excluded,
            )
        )
    return DryRun(
        vehicles=vehicles,
        members=members,
        will_receive_message=max(0, members - no_consent - capped) if campaign.send_message else 0,
        without_marketing_consent=no_consent,
        over_weekly_cap=capped,
        vouchers_to_issue=issuing * per_unit,
        face_value_twd=issuing * unit_value,
        budget_limited_to=limited,
        sample=sample,
    )


@dataclass(frozen=True)
class CampaignResults:
    recipients: int
    done: int
    skipped: int
    pending: int
    messages_sent: int
    messages_failed: int
    messages_skipped: int
    messages_pending: int
    vouchers_issued: int
    vouchers_redeemed_30d: int
    recipients_redeemed_30d: int
    recipients_returned_30d: int  # came back: a redemption or a workshop visit (from the DMS)


REDEMPTION_WINDOW = timedelta(days=30)


def campaign_results(campaign: Campaign) -> CampaignResults:
    """Sent, failed, vouchers issued, and what was redeemed within 30 days of the message.

    The 30 days start when the recipient's message was sent (or, without a message, when the
    recipient was served). `recipients_redeemed_30d` counts vehicles that redeemed any voucher in
    that window; `recipients_returned_30d` those that came back at all, with a redemption or a
    workshop visit (repair order) from the DMS, which measures an invitation without a voucher too.
    """
    recipients = CampaignRecipient.objects.filter(campaign=campaign)
    by_status = dict(recipients.values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
    messages = dict(
        Notification.objects.filter(campaign=campaign)
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    anchor = Coalesce(F("notification__sent_at"), F("processed_at"))
    served = recipients.exclude(processed_at__isnull=True).annotate(anchor=anchor)
    window_end = ExpressionWrapper(OuterRef("anchor") + REDEMPTION_WINDOW, output_field=DateTimeField())
    completed = Redemption.objects.filter(
        status=Redemption.Status.COMPLETED, completed_at__gte=OuterRef("anchor"), completed_at__lte=window_end
    )
    recipients_redeemed = served.filter(Exists(completed.filter(vehicle=OuterRef("vehicle_id")))).count()
    # A workshop visit without a voucher is a return too: an invitation is measured by both.
    local = timezone.get_current_timezone()
    days = served.annotate(
        first_day=TruncDate("anchor", tzinfo=local),
        last_day=TruncDate(
            ExpressionWrapper(F("anchor") + REDEMPTION_WINDOW, output_field=DateTimeField()), tzinfo=local
        ),
    )
    visited = Visit.objects.filter(
        vehicle=OuterRef("vehicle_id"),
        visited_on__gte=OuterRef("first_day"),
        visited_on__lte=OuterRef("last_day"),
    )
    recipients_returned = days.filter(
        Exists(completed.filter(vehicle=OuterRef("vehicle_id"))) | Exists(visited)
    ).count()
    issued = CampaignVoucher.objects.filter(campaign=campaign)
    vouchers_redeemed = (
        issued.annotate(anchor=Coalesce(F("recipient__notification__sent_at"), F("recipient__processed_at")))
        .filter(Exists(completed.filter(voucher=OuterRef("voucher_id"))))
        .count()
    )
    return CampaignResults(
        recipients=sum(by_status.values()),
        done=by_status.get(CampaignRecipient.Status.DONE, 0),
        skipped=by_status.get(CampaignRecipient.Status.SKIPPED, 0),
        pending=by_status.get(CampaignRecipient.Status.PENDING, 0),
        messages_sent=messages.get(Notification.Status.SENT, 0),
        messages_failed=messages.get(Notification.Status.FAILED, 0),
        messages_skipped=messages.get(Notification.Status.SKIPPED, 0),
        messages_pending=messages.get(Notification.Status.PENDING, 0)
        + messages.get(Notification.Status.SENDING, 0),
        vouchers_issued=issued.count(),
        vouchers_redeemed_30d=vouchers_redeemed,
        recipients_redeemed_30d=recipients_redeemed,
        recipients_returned_30d=recipients_returned,
    )
