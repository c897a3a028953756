import pytest
from django.db import connection


def pytest_collection_modifyitems(config, items):
    """Tests marked `postgres` need row locks; on SQLite they are skipped, loudly."""
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"]
    if engine != "django.db.backends.postgresql":
        skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL=postgres://...)")
        for item in items:
            if "postgres" in item.keywords:
                item.add_marker(skip)


@pytest.fixture
def one_rate_limit_window(monkeypatch):
    """Keep every rate-limit window where it was when the test began.

    The limits count in fixed windows (a minute, an hour); a test that makes its requests at the
    real time would see the count start again if a window boundary fell between two of them.
    """
    from django.utils import timezone

    from members import ratelimit

    began = timezone.now()
    real = ratelimit._window_start
    monkeypatch.setattr(ratelimit, "_window_start", lambda now, window_seconds: real(began, window_seconds))


@pytest.fixture
def on_postgres():
    return connection.vendor == "postgresql"


ARTIFACTS = __import__("pathlib").Path(__file__).resolve().parent.parent / "test-artifacts"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    """Headless Debian chromium driven by Playwright (Playwright's own browser download is not used).

    Skips when chromium is missing, unless REQUIRE_BROWSER is set (CI), where it fails instead.
    """
    import os
    import shutil

    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        message = "chromium is not installed (make test installs it: scripts/ensure-chromium.sh)"
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    # Playwright's sync API runs an event loop in this thread; the ORM calls made by the test
    # itself (set-up, assertions) are still synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_FLAGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser, live_server):
    """A fresh browser page (zh-TW, phone-sized unless resized) with `page.base_url` = live server.

    Every Content-Security-Policy violation on any page the test visits fails the test: reported by
    a `securitypolicyviolation` listener in each document and, as a second net (workers, blocked
    loads before the listener exists), by Chromium's console messages about the policy.
    """
    from tests.browser_checks import CSP_LISTENER, csp_violation_expected

    context = browser.new_context(
        locale="zh-TW", timezone_id="Asia/Taipei", viewport={"width": 1280, "height": 860}
    )
    context.set_default_timeout(15000)
    violations, console = [], []
    context.expose_function("__cspViolation", lambda report: violations.append(report))
    context.add_init_script(CSP_LISTENER)
    tab = context.new_page()
    tab.on(
        "console",
        lambda message: (
            console.append(f"{tab.url}: {message.text}")
            if "Content Security Policy" in message.text
            else None
        ),
    )
    tab.base_url = live_server.url
    tab.csp_violations = violations
    yield tab
    context.close()
    unexpected = [report for report in violations if not csp_violation_expected(report)]
    unexpected_console = [line for line in console if not any(url in line for url in _expected_csp_blocks())]
    assert not unexpected and not unexpected_console, "Content-Security-Policy violations:\n" + "\n".join(
        unexpected + unexpected_console
    )


def _expected_csp_blocks():
    from tests.browser_checks import EXPECTED_CSP_BLOCKS

    return EXPECTED_CSP_BLOCKS


@pytest.fixture
def screenshot(request):
    """screenshot(page, "name") saves test-artifacts/screenshots/<test>-<name>.png and returns its path."""

    def take(tab, name: str):
        folder = ARTIFACTS / "screenshots"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{request.node.name}-{name}.png"
        tab.screenshot(path=str(path), full_page=True)
        return path

    return take
