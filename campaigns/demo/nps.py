"""Demo satisfaction surveys: a dozen recent redemptions asked, most answered, one detractor."""

from datetime import datetime, timedelta

from redemption.models import Redemption

from ..services.nps import nps_survey_answer, nps_survey_send

# None: not answered yet. 4 promoters, 3 passives, 2 detractors of 9 answers.
SCORES = [10, 9, 8, 10, 7, 6, None, 9, 3, 8, None, None]
COMMENTS = {
    6: "等候時間太長，希望預約能更準時。",
    3: "交車時車內沒有清潔。",
    10: "服務顧問說明清楚，很滿意！",
}


def nps_seed(*, now: datetime) -> None:
    recent = Redemption.objects.filter(status=Redemption.Status.COMPLETED).order_by("-completed_at", "-pk")
    for redemption, score in zip(recent[: len(SCORES)], SCORES, strict=False):
        survey = nps_survey_send(redemption_id=redemption.pk, now=now - timedelta(days=2))
        if survey is None or score is None:
            continue
        nps_survey_answer(token=survey.link_token, score=score, comment=COMMENTS.get(score, ""), now=now)
