"""Refuse a back-office list whose URL filters cannot be turned into a query: 400, not 500.

The admin builds `__year`, `__month`, `__day` and date-hierarchy filters straight from the URL. A year
of 10000 or a 20-digit number raised inside Django while the list was counted (500); a month of 13 or
a date such as "2024-13-45" sent the operator to the admin's "database error" page. Each filter that
names a model field is checked here, before the list view runs, with the query the admin would build:
out-of-range date parts and values the field cannot take are a bad request. Parameters that name no
field (a list filter's own parameter, an annotation) are left to the admin.
"""

from datetime import datetime, timedelta

from django.contrib.admin import SimpleListFilter
from django.contrib.admin.utils import prepare_lookup_value
from django.contrib.admin.views.main import ERROR_FLAG, IGNORED_PARAMS, PAGE_VAR
from django.core.exceptions import (
    BadRequest,
    EmptyResultSet,
    FieldDoesNotExist,
    FieldError,
    FullResultSet,
    ValidationError,
)

# The range of each date part a transform extracts; outside it no row can match, and the year
# bounds raise inside Django.
_PART_RANGES = {
    "year": (1, 9999),
    "iso_year": (1, 9999),
    "quarter": (1, 4),
    "month": (1, 12),
    "week": (1, 53),
    "day": (1, 31),
    "week_day": (1, 7),
    "iso_week_day": (1, 7),
    "hour": (0, 23),
    "minute": (0, 59),
    "second": (0, 59),
}
_NOT_A_FILTER = {*IGNORED_PARAMS, PAGE_VAR, ERROR_FLAG}
_MALFORMED = (ValueError, TypeError, OverflowError, ValidationError, FieldError)


class RejectMalformedAdminLookupsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        model_admin = getattr(view_func, "model_admin", None)  # set on every ModelAdmin view
        match = getattr(request, "resolver_match", None)
        if model_admin is None or match is None or not (match.url_name or "").endswith("_changelist"):
            return None
        own_parameters = _list_filter_parameters(model_admin, request)
        for key, values in request.GET.lists():
            if key in _NOT_A_FILTER or key in own_parameters:
                continue
            if not _lookup_is_sound(model_admin.model, key, values):
                raise BadRequest(f"malformed list filter {key!r}")
        if not _date_hierarchy_is_sound(model_admin.date_hierarchy, request.GET):
            raise BadRequest("malformed date hierarchy")
        return None


def _list_filter_parameters(model_admin, request) -> set[str]:
    return {
        entry.parameter_name
        for entry in model_admin.get_list_filter(request)
        if isinstance(entry, type) and issubclass(entry, SimpleListFilter)
    }


def _lookup_is_sound(model, key: str, values: list[str]) -> bool:
    manager = model._default_manager
    try:
        lookups, _field_parts, _expression = manager.all().query.solve_lookup_type(key)
    except (FieldError, FieldDoesNotExist):
        return True  # names no field: the admin answers it (or a list filter reads it)
    for value in values:
        prepared = prepare_lookup_value(key, value)
        if lookups and lookups[-1] != "isnull" and not _parts_in_range(lookups, prepared):
            return False
        try:
            queryset = manager.filter(**{key: prepared})
            queryset.query.get_compiler(using=queryset.db).as_sql()
        except (EmptyResultSet, FullResultSet):
            continue
        except _MALFORMED:
            return False
    return True


def _parts_in_range(lookups: list[str], prepared) -> bool:
    bounds = [_PART_RANGES[part] for part in lookups if part in _PART_RANGES]
    if not bounds:
        return True
    low, high = bounds[-1]  # the last transform is the one compared with the value
    for item in prepared if isinstance(prepared, list) else [prepared]:
        try:
            number = int(item)
        except (TypeError, ValueError):
            return False
        if not low <= number <= high:
            return False
    return True


def _date_hierarchy_is_sound(field_path: str | None, query) -> bool:
    """The dates the drill-down computes from year, month and day must exist (ChangeList.get_filters)."""
    if not field_path or f"{field_path}__year" not in query:
        return True
    year = query.getlist(f"{field_path}__year")[-1]
    month = (query.getlist(f"{field_path}__month") or [None])[-1]
    day = (query.getlist(f"{field_path}__day") or [None])[-1]
    try:
        start = datetime(int(year), int(month or 1), int(day or 1))
        if day:
            start + timedelta(days=1)
        elif month:
            (start + timedelta(days=32)).replace(day=1)
        else:
            start.replace(year=start.year + 1)
    except (ValueError, OverflowError):
        return False
    return True
