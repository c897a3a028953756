"""Production settings refuse to start without real secrets and pass `check --deploy`."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    # DJANGO_ALLOW_ASYNC_UNSAFE is set by the browser-test fixture for the rest of the session (pytest-django
    # runs these database-free tests last); `check --deploy` rightly warns about it, so it is not passed on.
    hidden = ("SECRET_KEY", "ALLOWED_HOSTS", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE")
    environment = {k: v for k, v in os.environ.items() if k not in hidden}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_debug_off_without_secret_key_refuses_to_start():
    result = _manage("check", DEBUG="0", ALLOWED_HOSTS="vouchers.example.com")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_debug_off_without_allowed_hosts_refuses_to_start():
    result = _manage("check", DEBUG="0", SECRET_KEY=secrets.token_urlsafe(64))
    assert result.returncode != 0
    assert "ALLOWED_HOSTS" in result.stderr


def test_check_deploy_reports_nothing_with_production_settings():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="vouchers.example.com",
        ECPAY_MERCHANT_ID="3002607",
        ECPAY_HASH_KEY="k",
        ECPAY_HASH_IV="v",
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_warns_when_the_shop_cannot_take_payments():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="vouchers.example.com",
        ECPAY_MERCHANT_ID="",
    )
    assert result.returncode != 0
    assert "shop.W001" in result.stderr


def test_language_time_zone_and_money_defaults(settings):
    assert settings.LANGUAGE_CODE == "zh-hant"
    assert [code for code, _name in settings.LANGUAGES] == ["zh-hant", "en"]
    assert settings.TIME_ZONE == "Asia/Taipei"
    assert settings.USE_TZ is True


def test_django_q_timeout_is_below_retry(settings):
    assert settings.Q_CLUSTER["timeout"] < settings.Q_CLUSTER["retry"]
    assert settings.Q_CLUSTER["max_attempts"] >= 1
