"""A small JSON-over-HTTP client for the provider adapters (standard library only)."""

import json
import urllib.error
import urllib.request
from dataclasses import dataclass

from .base import PermanentDeliveryError, TransientDeliveryError

RETRYABLE_STATUS = {408, 425, 429, 500, 502, 503, 504}


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    headers: dict
    body: dict


def post_json(url: str, payload: dict, *, headers: dict, timeout: float) -> HttpAnswer:
    """POST `payload`; network failures and 408/429/5xx are transient, other 4xx permanent.

    Returns the answer for 2xx and for 409 (which some providers use for "already accepted").
    """
    if not url.startswith(("http://", "https://")):
        raise PermanentDeliveryError(f"provider URL not configured or not http(s): {url!r}")
    data = json.dumps(payload, ensure_ascii=False).encode()
    request = urllib.request.Request(  # noqa: S310 (scheme checked above)
        url, data=data, method="POST", headers={"Content-Type": "application/json; charset=utf-8", **headers}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return HttpAnswer(response.status, dict(response.headers), _json(response.read()))
    except urllib.error.HTTPError as exc:
        body = _json(exc.read())
        if exc.code == 409:
            return HttpAnswer(409, dict(exc.headers), body)
        detail = f"HTTP {exc.code}: {body.get('message') or body or exc.reason}"
        if exc.code in RETRYABLE_STATUS:
            raise TransientDeliveryError(detail) from exc
        raise PermanentDeliveryError(detail) from exc
    except (TimeoutError, urllib.error.URLError, ConnectionError, OSError) as exc:
        raise TransientDeliveryError(f"network: {exc}") from exc


def _json(raw: bytes) -> dict:
    try:
        value = json.loads(raw or b"{}")
    except ValueError:
        return {"raw": raw[:200].decode(errors="replace")}
    return value if isinstance(value, dict) else {"value": value}
