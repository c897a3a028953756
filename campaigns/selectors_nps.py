"""NPS figures per dealer and per advisor: % promoters (9–10) minus % detractors (0–6) of the answers."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Q

from .models import NpsSurvey
from .services.nps import DETRACTOR_MAX, PROMOTER_MIN


@dataclass(frozen=True)
class NpsRow:
    key: int | None
    label: str
    answers: int
    promoters: int
    passives: int
    detractors: int

    @property
    def nps(self) -> float | None:
        """Rounded to one decimal; None without answers."""
        if not self.answers:
            return None
        return round(100 * (self.promoters - self.detractors) / self.answers, 1)


def _rows(group: str, label_fields: tuple[str, ...], since: datetime | None) -> list[NpsRow]:
    answered = NpsSurvey.objects.filter(answered_at__isnull=False)
    if since is not None:
        answered = answered.filter(answered_at__gte=since)
    rows = (
        answered.values(group, *label_fields)
        .annotate(
            answers=Count("pk"),
            promoters=Count("pk", filter=Q(score__gte=PROMOTER_MIN)),
            detractors=Count("pk", filter=Q(score__lte=DETRACTOR_MAX)),
        )
        .order_by(*label_fields)
    )
    return [
        NpsRow(
            key=row[group],
            label=" ".join(str(row[f]) for f in label_fields if row[f]) or "—",
            answers=row["answers"],
            promoters=row["promoters"],
            passives=row["answers"] - row["promoters"] - row["detractors"],
            detractors=row["detractors"],
        )
        for row in rows
    ]


def nps_by_dealer(*, since: datetime | None = None) -> list[NpsRow]:
    return _rows("dealer_id", ("dealer__code", "dealer__name"), since)


def nps_by_advisor(*, since: datetime | None = None) -> list[NpsRow]:
    """Surveys of redemptions only carry an advisor; workshop visits from the DMS show under "—"."""
    return _rows("advisor_id", ("dealer__code", "advisor__username"), since)
