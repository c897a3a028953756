"""Money as people in Taiwan write it, in every language: NT$12,800 (comma every three digits).

Django's `intcomma` follows the locale's grouping, which gives no separator for zh-Hant."""

from django import template

register = template.Library()


@register.filter
def twd(value) -> str:
    try:
        return f"NT${int(value):,}"
    except (TypeError, ValueError):
        return ""
