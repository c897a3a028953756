from contextlib import contextmanager
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils.module_loading import import_string

from loyalty.models import EarnRule, Programme
from members.actors import Actor
from redemption.services import FOLLOWUPS_TASK
from tests.queued_tasks import run_queued

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

    @contextmanager
    def running():
        with django_capture_on_commit_callbacks(execute=True):
            yield
        # A redemption's follow-ups (points among them) are one task queued in its transaction; a
        # worker takes it after the tasks of changes that committed before (run above).
        with django_capture_on_commit_callbacks(execute=True):
            run_queued(FOLLOWUPS_TASK)

    return running
