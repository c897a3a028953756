from django import template

from reports.access import report_scope

register = template.Library()


@register.simple_tag(takes_context=True)
def reports_visible(context) -> bool:
    """Whether the signed-in back-office user may open the Reports section (admin index link)."""
    request = context.get("request")
    return bool(request and request.user.is_authenticated and report_scope(request.user).allowed)
