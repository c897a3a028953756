"""Small display filters for owner pages."""

from django import template

register = template.Library()


@register.filter
def thousands(value) -> str:
    """12345 -> 12,345 whatever the language (Taiwan groups digits in thousands too)."""
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return ""


@register.filter
def twd(value) -> str:
    """Integer New Taiwan dollars: 1500 -> NT$1,500."""
    amount = thousands(value)
    return f"NT${amount}" if amount else ""


@register.filter
def code_groups(code_display: str) -> list[str]:
    return code_display.split("-")


@register.filter
def spelled_out(code_display: str) -> str:
    """K7QF-9M2D -> "K 7 Q F, 9 M 2 D": screen readers read each character, groups apart."""
    return ", ".join(" ".join(group) for group in code_display.split("-"))
