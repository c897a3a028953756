"""redemption.presentation.urls_by_id writes what reverse() writes, for every id, with one reverse()."""

from unittest import mock

import pytest
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from redemption import presentation


@pytest.mark.parametrize("name", ["counter:vehicle", "counter:receipt"])
@settings(deadline=None)  # the first example builds Django's URL resolver
@given(pk=st.integers(min_value=0, max_value=10**12))
def test_the_url_of_an_id_is_reverses(name, pk):
    assert presentation.urls_by_id(name)(pk) == reverse(name, args=[pk])


def test_a_page_of_ids_costs_one_reverse():
    with mock.patch.object(presentation, "reverse", wraps=reverse) as reversed_:
        url_of = presentation.urls_by_id("counter:receipt")
        urls = [url_of(pk) for pk in (1, 10, 100, 1000)]
    assert reversed_.call_count == 1
    assert urls == [reverse("counter:receipt", args=[pk]) for pk in (1, 10, 100, 1000)]
