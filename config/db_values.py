"""A field's value as Django prepares it for saving on PostgreSQL, without the layers of calls that
return the common values unchanged.

`field.get_db_prep_save(value, connection)` passes a value through five or six methods (the
field's, its parent classes', the backend's). For the values a hot path writes (text, booleans,
aware datetimes, integers, keys of rows with integer keys) the result is known from the field's
class and the value's type alone: the value itself, or the integer wrapped in the type PostgreSQL
is told. Any other field class or value type goes through Django, and so does every value for
another database: the shortcuts follow PostgreSQL's backend (its `adapt_*` methods).
"""

import datetime

from django.db import models

_SLOW = object()


def db_value(field, value, connection):
    """`field.get_db_prep_save(value, connection=connection)` (through Django but on PostgreSQL)."""
    if connection.vendor != "postgresql":
        return field.get_db_prep_save(value, connection=connection)
    shortcut = _SHORTCUTS.get(field)
    if shortcut is None:
        shortcut = _SHORTCUTS[field] = _shortcut_of(field)
    if shortcut is not _SLOW:
        if value is None:  # every field with a shortcut prepares None as None
            return None
        prepared = shortcut(value, connection)
        if prepared is not _SLOW:
            return prepared
    return field.get_db_prep_save(value, connection=connection)


_SHORTCUTS: dict = {}

# Exact classes: a subclass may prepare its values otherwise.
_TEXT = frozenset({models.CharField, models.TextField})
_INTEGER = frozenset(
    {
        models.SmallIntegerField,
        models.IntegerField,
        models.BigIntegerField,
        models.PositiveSmallIntegerField,
        models.PositiveIntegerField,
        models.PositiveBigIntegerField,
    }
)
_AUTO_KEYS = frozenset({models.AutoField, models.BigAutoField, models.SmallAutoField})


def _shortcut_of(field):
    """A function of (value, connection) giving the prepared value, or _SLOW when only Django knows;
    _SLOW for a field without one."""
    kind = type(field)
    if kind in _TEXT:
        # to_python gives back any str (a choices enum member included) unchanged.
        return lambda value, connection: value if isinstance(value, str) else _SLOW
    if kind is models.BooleanField:
        return lambda value, connection: value if type(value) is bool else _SLOW
    if kind is models.DateTimeField:
        # An aware datetime: no naive-time warning; PostgreSQL's adapt_datetimefield_value keeps it.
        return lambda value, connection: (
            value if type(value) is datetime.datetime and value.utcoffset() is not None else _SLOW
        )
    if kind in _INTEGER:
        internal_type = field.get_internal_type()
        return lambda value, connection: (
            connection.ops.adapt_integerfield_value(value, internal_type) if type(value) is int else _SLOW
        )
    if kind in (models.ForeignKey, models.OneToOneField) and type(field.target_field) in _AUTO_KEYS:
        # An automatic key's value is prepared as int(value), validated by the backend (PostgreSQL
        # takes any), and not adapted.
        return lambda value, connection: value if type(value) is int else _SLOW
    return _SLOW
