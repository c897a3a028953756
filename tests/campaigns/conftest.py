"""A fake SMS gateway and LINE API on loopback (http.server in a thread), as the providers behave.

It records every request; `answers` queues status codes to answer with (then 200); like the real
providers it remembers the retry key / client reference it accepted and answers a repeat with 409
without delivering again.
"""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import translation

from tests.factories import MemberFactory


class FakeProvider:
    def __init__(self):
        self.requests: list[dict] = []
        self.delivered: list[dict] = []
        self.answers: list[int] = []
        self.delay = 0.0
        self.echo = False  # refusals quote the message text back, as some providers do
        self.lock = threading.Lock()
        self.accepted: set[str] = set()
        self.server = None

    @property
    def url(self) -> str:
        host, port = self.server.server_address
        return f"http://{host}:{port}"

    def handle(self, path: str, headers: dict, body: dict) -> tuple[int, dict, dict]:
        import time

        if self.delay:
            time.sleep(self.delay)
        key = headers.get("x-line-retry-key") or body.get("client_ref") or ""
        with self.lock:
            self.requests.append({"path": path, "headers": headers, "body": body})
            status = self.answers.pop(0) if self.answers else 200
            if status != 200:
                text = f" for: {body.get('text') or body.get('body') or body}" if self.echo else ""
                return status, {}, {"message": f"fake {status}{text}"}
            if key and key in self.accepted:
                return 409, {"x-line-accepted-request-id": f"req-{key}"}, {"message": "already accepted"}
            self.accepted.add(key)
            self.delivered.append({"path": path, "headers": headers, "body": body})
            return 200, {"x-line-request-id": f"req-{key}"}, {"id": f"msg-{len(self.delivered)}"}


def _handler(provider: FakeProvider):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, extra, answer = provider.handle(self.path, headers, body)
            payload = json.dumps(answer).encode()
            self.send_response(status)
            for name, value in extra.items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):
            pass

    return Handler


def start_provider(port: int = 0) -> FakeProvider:
    provider = FakeProvider()
    provider.server = ThreadingHTTPServer(("127.0.0.1", port), _handler(provider))
    threading.Thread(target=provider.server.serve_forever, daemon=True).start()
    return provider


@pytest.fixture
def provider():
    fake = start_provider()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


@pytest.fixture
def http_channels(settings, provider):
    """SMS and LINE through their HTTP adapters, pointed at the fake provider."""
    settings.NOTIFY_SMS_BACKEND = "http"
    settings.NOTIFY_SMS_URL = provider.url + "/sms"
    settings.NOTIFY_SMS_TOKEN = "sms-token"
    settings.NOTIFY_LINE_BACKEND = "http"
    settings.NOTIFY_LINE_URL = provider.url + "/v2/bot/message/push"
    settings.NOTIFY_LINE_TOKEN = "line-token"
    settings.NOTIFY_HTTP_TIMEOUT_SECONDS = 2
    return provider


@pytest.fixture
def no_quiet_hours(settings):
    settings.NOTIFY_QUIET_HOURS = ""


@pytest.fixture
def member(db):
    return MemberFactory(consent_service=True, consent_marketing=True, email="owner@example.com")


@pytest.fixture
def q_sync(monkeypatch):
    """django-q2 runs enqueued tasks at once, in this process (its Conf is read once at import)."""
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", True)


@pytest.fixture(autouse=True)
def _english(settings):
    """These tests read English messages and pages; the site's default language is zh-Hant.

    Members keep their own language (zh-Hant by default), so message rendering per member is
    unaffected.
    """
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield
