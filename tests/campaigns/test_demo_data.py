"""The demo data (`manage.py seed_demo`): owners who can really sign in, one language per field,
something on every list, and a second run that changes nothing."""

import io
import re
from functools import partial

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import models

from campaigns.demo import seed as demo
from campaigns.demo.accounts import DEMO_OWNER_PHONES
from campaigns.models import Campaign, Notification, Segment
from loyalty.models import Referral
from members.models import Member
from portal.services import sign_in_phone
from vehicles.models import BindingRequest
from vouchers.models import IssueBatch

pytestmark = pytest.mark.django_db

SMALL = {"members": 24, "vehicles": 36}
CJK = re.compile(r"[\u3400-\u9fff]")
# An English word (not an acronym such as VIP, SUV or a model code such as i4) inside Chinese text.
ENGLISH_WORD = re.compile(r"\b[A-Za-z]*[a-z]{2,}[A-Za-z]*\b")
# Template variables, links and file names are not words a reader reads as English.
NOT_PROSE = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|https?://\S+|\S+@\S+|\S+\.[a-z]{2,4}\b")
DEMO_APPS = ("members", "vehicles", "vouchers", "redemption", "campaigns")


def test_every_demo_owner_can_sign_in_to_the_portal():
    """The full demo (220 owners) gets numbers the portal's sign-in accepts, all different."""
    phones = demo.demo_owner_phones(220)
    assert len(set(phones)) == 220
    assert phones[: len(DEMO_OWNER_PHONES)] == DEMO_OWNER_PHONES
    assert [sign_in_phone(phone) for phone in phones] == phones


def test_seeded_owners_have_those_numbers():
    demo.seed(**SMALL)
    for member in Member.objects.all():
        assert sign_in_phone(member.phone) == member.phone


def _mixed_language_fields() -> list[str]:
    mixed = []
    for model in apps.get_models():
        if model._meta.app_label not in DEMO_APPS or model._meta.model_name == "messagetemplate":
            continue
        text_fields = [
            f.name for f in model._meta.concrete_fields if isinstance(f, models.CharField | models.TextField)
        ]
        for row in model._default_manager.values_list("pk", *text_fields):
            for name, value in zip(text_fields, row[1:], strict=True):
                prose = NOT_PROSE.sub(" ", value or "")
                if CJK.search(prose) and ENGLISH_WORD.search(prose):
                    mixed.append(f"{model._meta.label}.{name} #{row[0]}: {value!r}")
    return mixed


def test_each_demo_text_is_in_one_language():
    demo.seed(**SMALL)
    assert _mixed_language_fields() == []


def test_the_language_check_finds_a_mixed_field():
    Segment.objects.create(name="洗車 Car wash")
    Segment.objects.create(name="VIP 精緻美容 {{ name }} https://example.com/a")
    assert len(_mixed_language_fields()) == 1


def test_the_demo_fills_the_outreach_and_operations_lists():
    demo.seed(**SMALL)
    assert set(Campaign.objects.values_list("status", flat=True)) >= {
        Campaign.Status.COMPLETED,
        Campaign.Status.SCHEDULED,
        Campaign.Status.DRAFT,
    }
    assert Notification.objects.filter(purpose=Notification.Purpose.CAMPAIGN).exists()
    assert Notification.objects.exclude(purpose=Notification.Purpose.CAMPAIGN).exists()
    assert BindingRequest.objects.filter(status=BindingRequest.Status.PENDING).exists()
    assert IssueBatch.objects.filter(status=IssueBatch.Status.PREPARED).exists()
    assert set(Referral.objects.values_list("status", flat=True)) == {"rewarded", "pending", "refused"}
    rewarded = Referral.objects.get(status="rewarded")
    assert rewarded.referrer_voucher is not None and rewarded.referrer_voucher.member == rewarded.referrer
    assert Referral.objects.get(status="refused").refusal == "referral_own_vehicle"


def _counts() -> dict[str, int]:
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if model._meta.app_label in DEMO_APPS
    }


def test_seed_demo_twice_changes_nothing(monkeypatch):
    monkeypatch.setattr("campaigns.management.commands.seed_demo.seed", partial(demo.seed, **SMALL))
    call_command("seed_demo", stdout=io.StringIO())
    first = _counts()
    assert first["members.Member"] == SMALL["members"]
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert "nothing to do" in out.getvalue()
    assert _counts() == first
