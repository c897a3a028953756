"""The counter's own machinery around the baseline's raw SQL: what any counter request costs before
it does any work of its own.

`counter_floor` is a counter view exactly as the vehicle page and the redeem POST are (signed-in
session, the idle timeout, the advisor's dealer, CSRF, private caching). Its GET reads the baseline's
row and renders a page on the counter's own base template (the bar, the search box, the messages)
with a form; its POST runs the baseline's transaction (bench/baseline.py: lock a row, update it,
insert a row) and redirects, as the redeem POST does. Served by `bench.baseline_urls` at
`/bench/counter-floor/<row>/`, so a benchmark can print where the counter's requests stand between
the bare transaction and the real ones.
"""

from django.db import connection, transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template import engines
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from redemption.access import counter_view

from .baseline import EVENT_TABLE, ROW_TABLE

PATH = "bench/counter-floor/<int:row>/"

PAGE = engines["django"].from_string(
    """{% extends "counter/base.html" %}
{% block content %}<h1>Row {{ row }}</h1><p>{{ uses }} uses</p>
<form method="post" action="{{ action }}">{% csrf_token %}<button type="submit">Use</button></form>
{% endblock %}"""
)


def url(row: int) -> str:
    return f"/bench/counter-floor/{row}/"


@require_http_methods(["GET", "POST"])
@counter_view
def counter_floor(request, row: int):
    if request.method == "POST":
        return _use(row)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT uses FROM {ROW_TABLE} WHERE id = %s", [row])
        found = cursor.fetchone()
    if found is None:
        raise Http404
    context = {"counter": request.counter, "row": row, "uses": found[0], "action": url(row)}
    return HttpResponse(PAGE.render(context, request))


def _use(row: int):
    lock = " FOR UPDATE" if connection.vendor == "postgresql" else ""
    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SELECT uses FROM {ROW_TABLE} WHERE id = %s{lock}", [row])
        if cursor.fetchone() is None:
            raise Http404
        cursor.execute(f"UPDATE {ROW_TABLE} SET uses = uses + 1, updated_at = %s WHERE id = %s", [now, row])
        cursor.execute(
            f"INSERT INTO {EVENT_TABLE} (row_id, reference, created_at) VALUES (%s, %s, %s)",
            [row, "counter-floor", now],
        )
    return redirect(url(row))
