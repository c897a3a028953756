"""The service history's cells are escaped as Django's `conditional_escape` escapes them."""

import pytest
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy
from hypothesis import given
from hypothesis import strategies as st

from redemption.templatetags.counter_history import _escaped


@given(st.text())
def test_any_text_is_escaped_as_django_escapes_it(text):
    assert _escaped(text) == conditional_escape(text)


@pytest.mark.parametrize(
    "value",
    [
        'A&B <b class="x">Garage</b>',
        "O'Neil",
        SafeString('<a href="/counter/redemptions/1/">2026-01-01 10:00</a>'),
        gettext_lazy("Completed"),
        1234567,
    ],
)
def test_safe_lazy_and_other_values_are_written_as_django_writes_them(value):
    assert _escaped(value) == conditional_escape(value)
