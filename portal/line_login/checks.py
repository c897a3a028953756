"""Start-up checks: the LINE stand-in never runs with DEBUG off, and real LINE Login is configured
whole (a channel id without its secret, or the reverse, would fail only when an owner tries)."""

from django.conf import settings
from django.core.checks import Error, register

MODES = ("line", "fake", "off")


@register()
def line_login_mode(app_configs=None, **kwargs):
    mode = settings.LINE_LOGIN_MODE
    if mode not in MODES:
        return [Error(f"LINE_LOGIN_MODE must be line, fake or off, not {mode!r}.", id="portal.E001")]
    if mode == "fake" and not settings.DEBUG:
        return [
            Error(
                "LINE_LOGIN_MODE=fake with DEBUG off: the local LINE Login stand-in is for development only.",
                hint="Set LINE_LOGIN_CHANNEL_ID and LINE_LOGIN_CHANNEL_SECRET, or LINE_LOGIN_MODE=off.",
                id="portal.E002",
            )
        ]
    if mode == "line" and not (settings.LINE_LOGIN_CHANNEL_ID and settings.LINE_LOGIN_CHANNEL_SECRET):
        return [
            Error(
                "LINE Login is half configured: it needs both the channel id and the channel secret.",
                hint="Set LINE_LOGIN_CHANNEL_ID and LINE_LOGIN_CHANNEL_SECRET (LINE Developers console), "
                "or LINE_LOGIN_MODE=off.",
                id="portal.E003",
            )
        ]
    if mode == "off" and bool(settings.LINE_LOGIN_CHANNEL_ID) != bool(settings.LINE_LOGIN_CHANNEL_SECRET):
        return [
            Error(
                "LINE Login is half configured: a channel secret without a channel id (or the reverse).",
                hint="Set both LINE_LOGIN_CHANNEL_ID and LINE_LOGIN_CHANNEL_SECRET, or neither.",
                id="portal.E004",
            )
        ]
    if mode == "line" and not settings.LINE_LOGIN_TOKEN_URL.startswith("https://") and not settings.DEBUG:
        return [Error("LINE_LOGIN_TOKEN_URL must be https with DEBUG off.", id="portal.E005")]
    return []
