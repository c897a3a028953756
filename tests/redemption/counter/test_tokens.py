"""The counter's one-time form tokens: signed, timestamped, bound to a user, an action and a target."""

import time

import pytest
from django.core import signing

from redemption.exceptions import FormTokenExpired, FormTokenInvalid
from redemption.tokens import form_token_issue, form_token_read

BINDING = {"user_id": 7, "action": "use", "target": "voucher:1:vehicle:2"}


def test_a_fresh_token_reads_back_with_a_unique_idempotency_key():
    first = form_token_read(form_token_issue(**BINDING), **BINDING)
    second = form_token_read(form_token_issue(**BINDING), **BINDING)
    assert first.idempotency_key.startswith("counter:")
    assert first.idempotency_key != second.idempotency_key
    assert len(first.idempotency_key) <= 200  # Redemption.idempotency_key


@pytest.mark.parametrize(
    "other",
    [
        {"user_id": 8},
        {"action": "complete"},
        {"target": "voucher:1:vehicle:3"},
        {"target": "voucher:9:vehicle:2"},
    ],
)
def test_a_token_is_refused_for_another_user_action_or_target(other):
    token = form_token_issue(**BINDING)
    with pytest.raises(FormTokenInvalid):
        form_token_read(token, **{**BINDING, **other})


@pytest.mark.parametrize("raw", [None, "", "x", "a:b:c", "🚗" * 10, "A" * 2000, 12345, ["token"]])
def test_garbage_is_refused_as_invalid(raw):
    with pytest.raises(FormTokenInvalid):
        form_token_read(raw, **BINDING)


def test_a_tampered_payload_is_refused():
    token = form_token_issue(**BINDING)
    payload, timestamp, signature = token.rsplit(":", 2)
    forged = signing.b64_encode(b'{"u":7,"a":"use","t":"voucher:1:vehicle:2","n":"chosen"}').decode()
    with pytest.raises(FormTokenInvalid):
        form_token_read(f"{forged}:{timestamp}:{signature}", **BINDING)
    with pytest.raises(FormTokenInvalid):
        form_token_read(f"{payload}:{timestamp}:{signature[:-2]}xx", **BINDING)


def test_a_token_signed_with_another_salt_is_refused():
    other = signing.TimestampSigner(salt="somewhere.else").sign_object(
        {"u": 7, "a": "use", "t": "voucher:1:vehicle:2", "n": "abc"}
    )
    with pytest.raises(FormTokenInvalid):
        form_token_read(other, **BINDING)


def test_an_old_token_is_refused_as_expired(monkeypatch):
    token = form_token_issue(**BINDING)
    later = time.time() + 3 * 3600
    monkeypatch.setattr(time, "time", lambda: later)
    with pytest.raises(FormTokenExpired):
        form_token_read(token, **BINDING, max_age=2 * 3600)


def test_an_old_token_for_another_user_is_invalid_not_expired(monkeypatch):
    token = form_token_issue(**BINDING)
    later = time.time() + 3 * 3600
    monkeypatch.setattr(time, "time", lambda: later)
    with pytest.raises(FormTokenInvalid):
        form_token_read(token, **{**BINDING, "user_id": 8}, max_age=2 * 3600)


def test_the_maximum_age_comes_from_the_settings(settings, monkeypatch):
    settings.COUNTER_FORM_TOKEN_MAX_AGE_SECONDS = 60
    token = form_token_issue(**BINDING)
    form_token_read(token, **BINDING)
    later = time.time() + 61
    monkeypatch.setattr(time, "time", lambda: later)
    with pytest.raises(FormTokenExpired):
        form_token_read(token, **BINDING)
