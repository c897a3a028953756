"""Satisfaction surveys (NPS): one per redemption or visit, a single-use expiring link answered
without signing in, the detractor alert to the dealer's managers, NPS per dealer and per advisor."""

import re
from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from campaigns.exceptions import (
    SurveyAlreadyAnswered,
    SurveyLinkExpired,
    SurveyLinkInvalid,
    SurveyScoreInvalid,
)
from campaigns.models import Notification, NpsSurvey
from campaigns.selectors_nps import nps_by_advisor, nps_by_dealer
from campaigns.services.nps import nps_survey_answer, nps_survey_send
from members.models import DealerStaff
from redemption.services import redemption_redeem
from tests.factories import (
    DealerFactory,
    DealerStaffFactory,
    DefinitionFactory,
    MemberFactory,
    OwnedVehicleFactory,
    UserFactory,
    issue_voucher,
)
from vehicles.models import Visit
from vehicles.services import Origin, visit_record

pytestmark = pytest.mark.django_db(transaction=True)
Purpose = Notification.Purpose


def _redeem(*, member=None, dealer=None, advisor=None, key="r1"):
    member = member or MemberFactory(consent_service=True)
    car = OwnedVehicleFactory(owner=member)
    voucher = issue_voucher(DefinitionFactory(), member=member, vehicle=car)
    return redemption_redeem(
        voucher=voucher, vehicle=car, dealer=dealer or DealerFactory(), advisor=advisor, idempotency_key=key
    )


def _token(member) -> str:
    body = Notification.objects.get(member=member, purpose=Purpose.NPS_SURVEY).body
    return re.search(r"/portal/survey/([^/\s]+)/", body).group(1)


def test_a_redemption_sends_one_survey_on_the_owners_channel_after_commit(q_sync):
    member = MemberFactory(consent_service=True)
    redemption = _redeem(member=member)
    survey = NpsSurvey.objects.get(redemption=redemption)
    assert (survey.member, survey.dealer, survey.answered_at) == (member, redemption.dealer, None)
    note = Notification.objects.get(purpose=Purpose.NPS_SURVEY)
    assert note.member == member and note.recipient == member.phone and note.status != "skipped"
    assert _token(member) and survey.token_hash not in note.body  # only the hash is stored
    # The task running again (a retry) writes no second survey and no second message.
    assert nps_survey_send(redemption_id=redemption.pk) is None
    assert (
        NpsSurvey.objects.count() == 1
        and Notification.objects.filter(purpose=Purpose.NPS_SURVEY).count() == 1
    )


def test_at_most_one_survey_per_redemption_and_per_visit_is_a_database_constraint(q_sync):
    redemption = _redeem()
    survey = NpsSurvey.objects.get()
    for source in ({"redemption": redemption}, {}):
        with pytest.raises(IntegrityError), transaction.atomic():
            NpsSurvey.objects.create(
                member=survey.member,
                dealer=survey.dealer,
                token_hash="x" * 64,
                expires_at=timezone.now(),
                **source,  # the same redemption again, or neither a redemption nor a visit
            )


def test_a_recent_workshop_visit_sends_a_survey_an_old_imported_one_does_not(q_sync):
    member = MemberFactory(consent_service=True)
    car = OwnedVehicleFactory(owner=member)
    dealer = DealerFactory()
    origin = Origin(source=Visit.Source.IMPORT, label="dms.csv")
    today = timezone.localdate()
    recent, _ = visit_record(vehicle=car, dealer=dealer, visited_on=today, repair_order="RO-1", origin=origin)
    visit_record(
        vehicle=car, dealer=dealer, visited_on=today - timedelta(days=30), repair_order="RO-0", origin=origin
    )
    assert list(NpsSurvey.objects.values_list("visit_id", flat=True)) == [recent.pk]
    assert nps_survey_send(visit_id=recent.pk) is None  # once per visit


def test_no_consent_to_service_messages_means_no_survey_message_is_sent(q_sync):
    member = MemberFactory(consent_service=False)
    _redeem(member=member)
    note = Notification.objects.get(purpose=Purpose.NPS_SURVEY)
    assert note.status == Notification.Status.SKIPPED and note.skip_reason and "/survey/" not in note.body


def test_the_link_is_answered_once_without_signing_in(client, q_sync):
    member = MemberFactory(consent_service=True)
    _redeem(member=member)
    url = f"/portal/survey/{_token(member)}/"
    page = client.get(url)
    assert page.status_code == 200 and 'name="score"' in page.content.decode()
    done = client.post(url, {"score": "9", "comment": "準時交車"})
    assert done.status_code == 200 and 'data-test="survey-done"' in done.content.decode()
    survey = NpsSurvey.objects.get()
    assert (survey.score, survey.comment) == (9, "準時交車") and survey.answered_at
    again = client.post(url, {"score": "0"})
    assert again.status_code == 409
    survey.refresh_from_db()
    assert survey.score == 9  # the first answer stands
    with pytest.raises(SurveyAlreadyAnswered):
        nps_survey_answer(token=_token(member), score=3)


def test_an_expired_link_is_refused(client, q_sync):
    member = MemberFactory(consent_service=True)
    _redeem(member=member)
    token = _token(member)
    later = timezone.now() + timedelta(days=15)
    with pytest.raises(SurveyLinkExpired):
        nps_survey_answer(token=token, score=10, now=later)
    NpsSurvey.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.post(f"/portal/survey/{token}/", {"score": "10"}).status_code == 410
    assert NpsSurvey.objects.get().answered_at is None


def test_a_tampered_link_is_refused(client, q_sync):
    member = MemberFactory(consent_service=True)
    _redeem(member=member)
    token = _token(member)
    tampered = ("A" if token[0] != "A" else "B") + token[1:]
    with pytest.raises(SurveyLinkInvalid):
        nps_survey_answer(token=tampered, score=10)
    assert client.get(f"/portal/survey/{tampered}/").status_code == 400
    assert NpsSurvey.objects.get().answered_at is None


def test_a_score_outside_0_to_10_is_refused(client, q_sync):
    member = MemberFactory(consent_service=True)
    _redeem(member=member)
    token = _token(member)
    for bad in (11, -1):
        with pytest.raises(SurveyScoreInvalid):
            nps_survey_answer(token=token, score=bad)
    assert client.post(f"/portal/survey/{token}/", {"score": "ten"}).status_code == 400
    assert NpsSurvey.objects.get().answered_at is None


def test_a_detractor_alerts_the_dealers_managers_at_once(q_sync, settings):
    settings.NOTIFY_QUIET_HOURS = "00:00-23:59"  # always quiet for owners: the alert still goes now
    dealer = DealerFactory()
    manager = DealerStaffFactory(
        dealer=dealer, role=DealerStaff.Role.MANAGER, user=UserFactory(email="boss@dealer.example")
    )
    DealerStaffFactory(dealer=dealer, user=UserFactory(email="sa@dealer.example"))  # an advisor: not alerted
    DealerStaffFactory(role=DealerStaff.Role.MANAGER, user=UserFactory(email="other@dealer.example"))
    member = MemberFactory(consent_service=True)
    _redeem(member=member, dealer=dealer)
    before = timezone.now()
    nps_survey_answer(token=_token(member), score=6, comment="等太久")
    alert = Notification.objects.get(purpose=Purpose.NPS_DETRACTOR)
    assert (alert.channel, alert.recipient) == ("email", "boss@dealer.example")
    assert alert.dedup_key == f"nps-detractor:{NpsSurvey.objects.get().pk}:{manager.user_id}"
    assert "等太久" in alert.body and "6" in alert.subject
    assert alert.not_before <= timezone.now() and alert.not_before >= before - timedelta(seconds=1)
    survey_message = Notification.objects.get(purpose=Purpose.NPS_SURVEY)
    assert survey_message.not_before > timezone.now()  # the owner's survey waits for quiet hours to end


def test_a_passive_or_promoter_alerts_nobody(q_sync):
    dealer = DealerFactory()
    DealerStaffFactory(dealer=dealer, role=DealerStaff.Role.MANAGER, user=UserFactory(email="b@d.example"))
    first, second = MemberFactory(consent_service=True), MemberFactory(consent_service=True)
    _redeem(member=first, dealer=dealer, key="a")
    _redeem(member=second, dealer=dealer, key="b")
    nps_survey_answer(token=_token(first), score=7)
    nps_survey_answer(token=_token(second), score=10)
    assert not Notification.objects.filter(purpose=Purpose.NPS_DETRACTOR).exists()


def test_nps_per_dealer_and_per_advisor_against_a_hand_computed_set(q_sync):
    north, south = DealerFactory(code="N01", name="北區"), DealerFactory(code="S01", name="南區")
    chen, lin = UserFactory(username="sa-chen"), UserFactory(username="sa-lin")
    # north: chen 10, 9, 6; lin 8, 3 -> 2 promoters, 1 passive, 2 detractors of 5 = 0.0
    # south: chen 10, 10, 7 -> 2 promoters, 1 passive of 3 = 66.7
    answers = [
        (north, chen, 10),
        (north, chen, 9),
        (north, chen, 6),
        (north, lin, 8),
        (north, lin, 3),
        (south, chen, 10),
        (south, chen, 10),
        (south, chen, 7),
    ]
    for n, (dealer, advisor, score) in enumerate(answers):
        member = MemberFactory(consent_service=True)
        _redeem(member=member, dealer=dealer, advisor=advisor, key=f"k{n}")
        nps_survey_answer(token=_token(member), score=score)
    _redeem(dealer=north, advisor=lin, key="unanswered")  # not answered: not counted
    dealers = {
        row.label: (row.answers, row.promoters, row.passives, row.detractors, row.nps)
        for row in nps_by_dealer()
    }
    assert dealers == {"N01 北區": (5, 2, 1, 2, 0.0), "S01 南區": (3, 2, 1, 0, 66.7)}
    advisors = {
        row.label: (row.answers, row.promoters, row.passives, row.detractors, row.nps)
        for row in nps_by_advisor()
    }
    # chen at north: 2 promoters, 1 detractor of 3 = 33.3; lin at north: 1 passive, 1 detractor of 2 = -50.0
    assert advisors == {
        "N01 sa-chen": (3, 2, 0, 1, 33.3),
        "N01 sa-lin": (2, 0, 1, 1, -50.0),
        "S01 sa-chen": (3, 2, 1, 0, 66.7),
    }


def test_the_back_office_shows_nps_per_dealer_and_advisor_in_chinese(client, q_sync, settings):
    settings.LANGUAGE_CODE = "zh-hant"
    dealer = DealerFactory(code="T01", name="台北廠")
    member = MemberFactory(consent_service=True)
    _redeem(member=member, dealer=dealer, advisor=UserFactory(username="sa-wang"))
    nps_survey_answer(token=_token(member), score=4, comment="太慢")
    client.force_login(UserFactory(username="ops", is_staff=True, is_superuser=True))
    with translation.override("zh-hant"):
        page = client.get("/admin/campaigns/npssurvey/", HTTP_ACCEPT_LANGUAGE="zh-hant")
    html = page.content.decode()
    assert page.status_code == 200
    assert "各經銷商 NPS" in html and "各服務顧問 NPS" in html
    assert "T01 台北廠" in html and "T01 sa-wang" in html and "-100.0" in html
    survey = NpsSurvey.objects.get()
    detail = client.get(f"/admin/campaigns/npssurvey/{survey.pk}/change/")
    assert (
        detail.status_code == 200
        and "太慢" in detail.content.decode()
        and survey.token_hash not in detail.content.decode()
    )
