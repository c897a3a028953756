"""Many owners claiming at once through the portal: stock and the per-holder limit hold exactly."""

import threading

import pytest
from django.db import connection
from django.urls import reverse

from tests.factories import DefinitionFactory, MemberFactory
from vouchers.models import Voucher, VoucherDefinition

from .conftest import english_client, sign_in

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _race(posts) -> list[str]:
    """Run each (client, url, data) at the same moment in its own thread; return the pages."""
    barrier = threading.Barrier(len(posts))
    pages: list[str] = [""] * len(posts)

    def run(i, client, url, data):
        try:
            barrier.wait()
            pages[i] = client.post(url, data, follow=True).content.decode()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, *post)) for i, post in enumerate(posts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return pages


def test_many_owners_claiming_at_once_never_oversell_the_stock():
    definition = DefinitionFactory(
        holder_type=VoucherDefinition.HolderType.MEMBER, channel_claim=True, stock_total=7, per_holder_limit=1
    )
    url = reverse("portal:claim", args=[definition.pk])
    owners = [MemberFactory() for _ in range(30)]
    posts = [
        (sign_in(english_client(), m), url, {"idempotency_key": f"race-token-{m.pk:020d}"}) for m in owners
    ]

    pages = _race(posts)

    definition.refresh_from_db()
    assert definition.stock_issued == 7
    assert Voucher.objects.filter(definition=definition).count() == 7
    assert len(set(Voucher.objects.values_list("member_id", flat=True))) == 7
    assert sum("code-stock_exhausted" in page for page in pages) == 23


def test_one_owner_claiming_from_many_tabs_gets_no_more_than_the_limit():
    definition = DefinitionFactory(
        holder_type=VoucherDefinition.HolderType.MEMBER,
        channel_claim=True,
        stock_total=100,
        per_holder_limit=2,
    )
    url = reverse("portal:claim", args=[definition.pk])
    owner = MemberFactory()
    posts = [
        (sign_in(english_client(), owner), url, {"idempotency_key": f"tab-token-{i:020d}"}) for i in range(12)
    ]

    pages = _race(posts)

    assert Voucher.objects.filter(definition=definition, member=owner).count() == 2
    definition.refresh_from_db()
    assert definition.stock_issued == 2
    assert sum("code-holder_limit_reached" in page for page in pages) == 10


def test_the_same_form_submitted_many_times_at_once_claims_once():
    definition = DefinitionFactory(
        holder_type=VoucherDefinition.HolderType.MEMBER, channel_claim=True, per_holder_limit=10
    )
    url = reverse("portal:claim", args=[definition.pk])
    owner = MemberFactory()
    client = sign_in(english_client(), owner)
    posts = [(client, url, {"idempotency_key": "same-form-token-000000001"}) for _ in range(8)]

    _race(posts)

    assert Voucher.objects.filter(definition=definition).count() == 1
