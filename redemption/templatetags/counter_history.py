"""The vehicle page's service-history rows, written here rather than in the template: a car lists
up to 50, and each template variable, filter and tag in a loop costs the counter's busiest page more
CPU than the query that read the rows (issue 15). The cells come ready from
`redemption.presentation.HistoryLine`; every value is escaped (`_escaped`)."""

import html

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

register = template.Library()

_ROW = """
      <tr data-testid="history-row">
        <td>{}</td>
        <td>{}</td>
        <td>{}</td>
        <td>{}</td>
        <td class="num">{}</td>
        <td>{}</td>
        <td><span class="status status--{}">{}</span></td>
      </tr>
    """


def _cells(line):
    r = line.row
    started = line.started
    if line.receipt_url:
        started = format_html('<a href="{}">{}</a>', line.receipt_url, line.started)
    return (
        started,
        r.dealer_name,
        r.advisor or "—",
        r.title,
        line.mileage,
        r.work_order or "—",
        r.status,
        line.status_label,
    )


def _escaped(value) -> str:
    """What `conditional_escape` writes (a safe value as it is, anything else through the standard
    library's `html.escape`, as Django's `escape` does), without the lazy-string wrapper Django
    puts around each call: 400 cells a page cost the counter more in that wrapper than in escaping."""
    if hasattr(value, "__html__"):
        return value.__html__()
    return html.escape(str(value))


@register.simple_tag
def history_rows(lines):
    """`<tr>` rows of `HistoryLine`s, every cell escaped."""
    return mark_safe("".join(_ROW.format(*map(_escaped, _cells(line))) for line in lines))  # noqa: S308
