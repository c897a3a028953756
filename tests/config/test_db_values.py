"""config.db_values.db_value gives what Django's get_db_prep_save gives on PostgreSQL, for every
concrete field of every model of the project and values of each kind, and takes its shortcut for
the common ones."""

import datetime
import warnings
import zoneinfo

import pytest
from django.apps import apps
from django.db import connection, models

from config.db_values import db_value
from vouchers.models import Voucher

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

TAIPEI = zoneinfo.ZoneInfo("Asia/Taipei")
VALUES = [
    None,
    "",
    "K7QF9M2DXR4T8ZB3",
    "車牌 ABC-1234",
    Voucher.Status.ACTIVE,  # a choices member: a str subclass
    True,
    False,
    0,
    7,
    -3,
    2**40,
    datetime.datetime(2026, 12, 7, 9, 30, tzinfo=datetime.UTC),
    datetime.datetime(2026, 12, 7, 17, 30, tzinfo=TAIPEI),
    datetime.datetime(2026, 12, 7, 9, 30),  # naive: Django warns and makes it aware
    datetime.date(2026, 12, 7),
    {"reason": "wash"},
    [1, 2],
]


def _prepared(function):
    """The value or the exception's type, and any warning, as `function` gives them."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            value = function()
        except Exception as exc:  # the same failure either way is the point
            return ("raised", type(exc)), [str(w.message) for w in caught]
    return (type(value), repr(value)), [str(w.message) for w in caught]


def _fields():
    for model in apps.get_models():
        yield from model._meta.concrete_fields


def test_every_field_and_value_prepares_as_django_prepares_it():
    checked = 0
    for field in _fields():
        for value in VALUES:
            ours = _prepared(lambda f=field, v=value: db_value(f, v, connection))
            theirs = _prepared(lambda f=field, v=value: f.get_db_prep_save(v, connection=connection))
            assert ours == theirs, (field, value)
            checked += 1
    assert checked > 1000


@pytest.mark.parametrize(
    ("field", "value"),
    [
        (Voucher._meta.get_field("code"), "K7QF9M2DXR4T8ZB3"),
        (Voucher._meta.get_field("status"), Voucher.Status.USED),
        (Voucher._meta.get_field("uses_left"), 3),
        (Voucher._meta.get_field("valid_until"), datetime.datetime(2027, 1, 1, tzinfo=datetime.UTC)),
        (Voucher._meta.get_field("vehicle"), 42),
        (models.BooleanField(), True),
    ],
)
def test_the_common_values_take_the_shortcut(field, value, monkeypatch):
    expected = field.get_db_prep_save(value, connection=connection)
    monkeypatch.setattr(type(field), "get_db_prep_save", lambda *a, **k: pytest.fail("went through Django"))
    prepared = db_value(field, value, connection)
    assert type(prepared) is type(expected) and prepared == expected
