from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils.module_loading import import_string

from loyalty.models import EarnRule, Programme
from members.actors import Actor

TAIPEI = ZoneInfo("Asia/Taipei")
SYSTEM = Actor.system("test")


def at(y, m, d, h=12) -> datetime:
    return datetime(y, m, d, h, tzinfo=TAIPEI)


@pytest.fixture
def rules(db):
    """1 point per NT$100, 50 per visit, 200% in the birthday month; points last 12 months."""
    Programme.objects.update_or_create(pk=1, defaults={"expiry_months": 12})
    return {
        "spend": EarnRule.objects.create(name="消費", kind=EarnRule.Kind.SPEND, points=1, per_twd=100),
        "visit": EarnRule.objects.create(name="進廠", kind=EarnRule.Kind.VISIT, points=50),
        "birthday": EarnRule.objects.create(name="生日", kind=EarnRule.Kind.BIRTHDAY, multiplier_percent=200),
    }


@pytest.fixture
def run_tasks(monkeypatch, django_capture_on_commit_callbacks):
    """Run the loyalty tasks in-process when their transaction commits, as a worker would."""
    run = lambda func, *args: import_string(func)(*args)  # noqa: E731
    monkeypatch.setattr("loyalty.receivers.async_task", run)
    # A redemption's follow-ups (points among them) run in one task of the redemption app.
    monkeypatch.setattr("redemption.services.async_task", run)
    return lambda: django_capture_on_commit_callbacks(execute=True)
