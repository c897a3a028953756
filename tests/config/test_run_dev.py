"""`make run` keeps the worker's output in a log and shows only owners' sign-in codes on screen."""

import re
from pathlib import Path

import pytest

from portal.services import _sms_body

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "run-dev.sh"


def _sign_in_codes_pattern() -> re.Pattern:
    line = next(line for line in SCRIPT.read_text().splitlines() if line.startswith("SIGN_IN_CODES="))
    return re.compile(line.split("=", 1)[1].strip("'"))


@pytest.mark.parametrize("language", ["zh-hant", "en"])
def test_the_terminal_shows_a_sign_in_code_in_either_language(language):
    logged = f"[sms to +886912000001] {_sms_body('123456', 5, language)}"
    assert _sign_in_codes_pattern().search(logged)


def test_other_messages_stay_in_the_log():
    pattern = _sign_in_codes_pattern()
    assert not pattern.search("[sms to +886912000001] 您的洗車券將於 2026-12-31 到期。")
    assert not pattern.search("13:02:11 [Q] INFO Process-1:1 processing [dispatch_notifications]")
