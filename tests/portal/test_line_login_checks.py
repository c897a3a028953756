"""Start-up checks: the LINE stand-in never runs with DEBUG off; LINE Login is configured whole."""

import secrets

import pytest

from portal.line_login.checks import line_login_mode
from tests.config.test_settings import _manage

PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": secrets.token_urlsafe(64),
    "ALLOWED_HOSTS": "vouchers.example.com",
    "ECPAY_MERCHANT_ID": "3002607",
    "ECPAY_HASH_KEY": "k",
    "ECPAY_HASH_IV": "v",
}


def _ids(settings, **values) -> list[str]:
    for name, value in values.items():
        setattr(settings, name, value)
    return [message.id for message in line_login_mode()]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"LINE_LOGIN_MODE": "fake", "DEBUG": True}, []),
        ({"LINE_LOGIN_MODE": "fake", "DEBUG": False}, ["portal.E002"]),
        ({"LINE_LOGIN_MODE": "maybe"}, ["portal.E001"]),
        ({"LINE_LOGIN_MODE": "line", "LINE_LOGIN_CHANNEL_ID": "1", "LINE_LOGIN_CHANNEL_SECRET": "s"}, []),
        (
            {"LINE_LOGIN_MODE": "line", "LINE_LOGIN_CHANNEL_ID": "1", "LINE_LOGIN_CHANNEL_SECRET": ""},
            ["portal.E003"],
        ),
        (
            {"LINE_LOGIN_MODE": "off", "LINE_LOGIN_CHANNEL_ID": "", "LINE_LOGIN_CHANNEL_SECRET": "s"},
            ["portal.E004"],
        ),
        ({"LINE_LOGIN_MODE": "off", "LINE_LOGIN_CHANNEL_ID": "", "LINE_LOGIN_CHANNEL_SECRET": ""}, []),
        (
            {
                "LINE_LOGIN_MODE": "line",
                "DEBUG": False,
                "LINE_LOGIN_CHANNEL_ID": "1",
                "LINE_LOGIN_CHANNEL_SECRET": "s",
                "LINE_LOGIN_TOKEN_URL": "http://api.line.me/oauth2/v2.1/token",
            },
            ["portal.E005"],
        ),
    ],
)
def test_line_login_settings_are_checked(settings, values, expected):
    assert _ids(settings, **values) == expected


def test_check_deploy_passes_with_line_login_configured():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        LINE_LOGIN_CHANNEL_ID="1657000000",
        LINE_LOGIN_CHANNEL_SECRET=secrets.token_hex(16),
        **PRODUCTION,
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("env", "check_id"),
    [({"LINE_LOGIN_CHANNEL_ID": "1657000000"}, "portal.E003"), ({"LINE_LOGIN_MODE": "fake"}, "portal.E002")],
)
def test_production_refuses_half_configured_line_login_or_the_stand_in(env, check_id):
    result = _manage("check", "--deploy", **PRODUCTION, **env)
    assert result.returncode != 0
    assert check_id in result.stderr


def test_with_real_line_the_sign_in_forms_may_lead_to_lines_authorize_page():
    """The LINE button posts here and is redirected to access.line.me: CSP form-action must allow it."""
    result = _manage(
        "shell",
        "-c",
        "from config.csp import policy_for\n"
        "for path in ('/portal/sign-in/', '/portal/preferences/', '/portal/'):\n"
        "    print(policy_for(path)['form-action'])",
        LINE_LOGIN_CHANNEL_ID="1657000000",
        LINE_LOGIN_CHANNEL_SECRET=secrets.token_hex(16),
    )
    assert result.returncode == 0, result.stderr
    assert [line for line in result.stdout.splitlines() if line.startswith("[")] == [
        "[\"'self'\", 'https://access.line.me']",
        "[\"'self'\", 'https://access.line.me']",
        "[\"'self'\"]",
    ]
